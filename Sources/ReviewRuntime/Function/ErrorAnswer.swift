import Foundation
import ReviewCore

/// The one place an error becomes what a function answers: the HTTP response, the exit code, the
/// Lambda error, all with the same JSON body `{"error":{"code","message","retryable"}}`.
/// (webhook-ingest answers GitHub with its own result shape, `IngestResponse`, whose `code` is the
/// same `ReviewError.Code`.)
public struct ErrorAnswer: Sendable {
    public let error: ReviewError

    public init(_ error: any Error) {
        self.error = ReviewError.from(error)
    }

    public var json: Data {
        struct Detail: Encodable { let code: ReviewError.Code; let message: String; let retryable: Bool }
        struct Body: Encodable { let error: Detail }
        return (try? JSONEncoder.iso.encode(Body(error: Detail(code: error.code, message: error.message, retryable: error.isRetryable)))) ?? Data()
    }

    public var http: HTTPResponse { .json(error.code.httpStatus, json) }

    public var exitCode: Int32 { error.code.exitCode }

    /// The `errorType` Lambda records for the invocation.
    public var lambdaErrorType: String { error.code.rawValue }

    /// The Runtime API's error document.
    public var lambdaJSON: Data {
        (try? JSONSerialization.data(withJSONObject: ["errorMessage": error.message, "errorType": lambdaErrorType])) ?? Data()
    }
}
