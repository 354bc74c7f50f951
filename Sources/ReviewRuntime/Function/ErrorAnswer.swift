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

    /// When a Lambda error happened: starting the function, or running an invocation.
    public enum LambdaPhase: Sendable { case initialisation, invocation }

    /// The `errorType` Lambda records, in its own `Category.Reason` form: `Runtime.BadConfig` when
    /// the function could not start, `Function.QueueUnreachable` when an invocation failed.
    public func lambdaErrorType(phase: LambdaPhase) -> String {
        let reason = error.code.rawValue.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return (phase == .initialisation ? "Runtime." : "Function.") + reason
    }

    /// The Runtime API's error document: `errorMessage`, `errorType`, `stackTrace` (empty: the
    /// message says what went wrong), and whether a retry could help.
    public func lambdaJSON(phase: LambdaPhase) -> Data {
        let document: [String: Any] = [
            "errorMessage": error.message, "errorType": lambdaErrorType(phase: phase), "stackTrace": [String](), "retryable": error.isRetryable,
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
    }
}
