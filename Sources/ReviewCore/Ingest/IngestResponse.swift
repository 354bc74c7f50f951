import Foundation

/// The answer `webhook-ingest` gives a delivery: an HTTP status and a small JSON body
/// `{"status", "jobId"?, "reason"?, "code"?, "drain"?}`.
public struct IngestResponse: Sendable, Equatable, Codable {
    /// What became of the delivery.
    public enum Status: String, Sendable, Codable {
        case queued, duplicate, ignored, cancelled, pong
        /// Refused as sent (4xx): GitHub should not redeliver it unchanged.
        case rejected
        /// The queue could not take it (503): nothing was queued, so it can be redelivered.
        case unavailable
    }

    public var statusCode: Int
    public var status: Status
    public var jobId: String?
    public var reason: String?
    /// A stable error code on 4xx/5xx answers.
    public var code: ReviewError.Code?
    /// For a queued job, when `review-job` was asked to drain: sent | waiting | failed: … (nil: not asked).
    public var drain: String?

    public init(statusCode: Int, status: Status, jobId: String? = nil, reason: String? = nil, code: ReviewError.Code? = nil) {
        self.statusCode = statusCode
        self.status = status
        self.jobId = jobId
        self.reason = reason
        self.code = code
    }

    /// A refusal; the HTTP status follows from the code.
    public static func rejected(_ code: ReviewError.Code, _ reason: String) -> IngestResponse {
        IngestResponse(statusCode: code.httpStatus, status: .rejected, reason: reason, code: code)
    }

    /// The body as sent on the wire (without the status code, which is the HTTP status).
    public var jsonBody: Data {
        struct Body: Encodable { let status: Status; let jobId: String?; let reason: String?; let code: ReviewError.Code?; let drain: String? }
        return (try? JSONEncoder.iso.encode(Body(status: status, jobId: jobId, reason: reason, code: code, drain: drain))) ?? Data("{}".utf8)
    }
}
