import Foundation
import Logging
import ReviewCore

/// What `review-job` does with one job. Throw a `ReviewError` to fail it: retryable errors are
/// rescheduled with backoff, the others end in `failed` with their message.
public protocol JobProcessor: Sendable {
    /// Returns a small JSON result kept with the completed job.
    func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data

    /// An attempt failed: a retry follows, or (`willRetry` false) the job has failed for good.
    func jobFailed(_ job: ReviewJob, error: ReviewError, attempt: Int, willRetry: Bool, logger: Logger) async
}

extension JobProcessor {
    public func jobFailed(_ job: ReviewJob, error: ReviewError, attempt: Int, willRetry: Bool, logger: Logger) async {}
}
