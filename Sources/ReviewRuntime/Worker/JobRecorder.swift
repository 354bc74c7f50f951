import Foundation
import Logging
import ReviewCore

/// The processor until reviews are built: records each job it is given, optionally by POSTing it to
/// `REVIEW_RECORD_URL` (a non-2xx answer is a retryable failure).
public struct JobRecorder: JobProcessor {
    public let recordURL: URL?
    public let transport: any HTTPTransport

    public init(recordURL: URL?, transport: any HTTPTransport) {
        self.recordURL = recordURL
        self.transport = transport
    }

    /// POSTs the job to the record URL.
    public func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data {
        if let recordURL {
            let response = try await transport.send(
                HTTPRequest(
                    method: "POST", url: recordURL, headers: ["content-type": "application/json", "x-attempt": String(attempt)], body: job.encoded()
                ))
            guard (200..<300).contains(response.status) else {
                throw ReviewError(.recordFailed, "record endpoint answered HTTP \(response.status)")
            }
        }
        return Data(#"{"recorded":true,"attempt":\#(attempt)}"#.utf8)
    }
}
