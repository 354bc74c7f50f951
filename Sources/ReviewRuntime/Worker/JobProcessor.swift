import Foundation
import Logging
import ReviewCore

/// What `review-job` does with one job. Throw a `ReviewError` to fail it: retryable errors are
/// rescheduled with backoff, the others end in `failed` with their message.
public protocol JobProcessor: Sendable {
    /// Returns a small JSON result kept with the completed job.
    func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data
}
