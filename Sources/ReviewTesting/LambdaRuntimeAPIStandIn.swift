import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// The AWS Lambda Runtime API as a function's runtime loop sees it (the Runtime Interface
/// Emulator's behaviour is the reference): `next` hands out the given events with the request id,
/// deadline, function ARN and X-Ray trace id headers; a response or error is taken once per
/// request id (202), a second one or an unknown id is refused (400, `InvalidRequestID`), a
/// response over the payload limit is refused (413, `RequestEntityTooLarge`). When the events run
/// out, `next` answers 500 — a container error, after which a runtime must exit — so the loop
/// under test ends.
package final class LambdaRuntimeAPIStandIn: Sendable {
    /// What the function posted back.
    package struct Posted: Sendable {
        package let requestId: String?
        /// `response`, `error` or `init/error`.
        package let kind: String
        package let body: Data
        package let contentType: String?
        package let errorType: String?
        package let status: Int
    }

    package let server: HTTPServer
    private let state: NIOLockedValueBox<State>
    package var posted: [Posted] { state.withLockedValue { $0.posted } }
    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    package var address: String { "127.0.0.1:\(server.port)" }

    struct State {
        var events: [Data]
        var outstanding: Set<String> = []
        var served = 0
        var posted: [Posted] = []
        var failResponses: Int
    }

    private init(server: HTTPServer, state: NIOLockedValueBox<State>) {
        self.server = server
        self.state = state
    }

    /// - Parameters:
    ///   - maxResponseBytes: the payload limit (6 MB for a synchronous invocation).
    ///   - failResponses: how many response posts to answer 500 first (a runtime API hiccup).
    ///   - timeout: the function's timeout, which sets each invocation's deadline.
    package static func start(
        events: [Data], maxResponseBytes: Int = 6 * 1024 * 1024, failResponses: Int = 0, timeout: TimeInterval = 30
    ) async throws -> LambdaRuntimeAPIStandIn {
        let state = NIOLockedValueBox(State(events: events, failResponses: failResponses))
        let server = try await HTTPServer.start(port: 0) { request in
            func refuse(_ status: Int, _ type: String, _ message: String) -> HTTPResponse {
                .json(status, Data(#"{"errorMessage":"\#(message)","errorType":"\#(type)"}"#.utf8))
            }
            let parts = request.url.path.split(separator: "/").map(String.init)
            guard parts.count >= 3, parts[0] == "2018-06-01", parts[1] == "runtime" else { return refuse(404, "NotFound", "unknown path") }
            let rest = Array(parts.dropFirst(2))
            if request.method == "GET", rest == ["invocation", "next"] {
                let next = state.withLockedValue { state -> (Data, Int)? in
                    guard !state.events.isEmpty else { return nil }
                    state.served += 1
                    state.outstanding.insert("request-\(state.served)")
                    return (state.events.removeFirst(), state.served)
                }
                guard let (event, number) = next else { return refuse(500, "Runtime.ContainerError", "no more events") }
                let deadline = String(Int64((Date().timeIntervalSince1970 + timeout) * 1000))
                return HTTPResponse(
                    status: 200,
                    headers: [
                        "lambda-runtime-aws-request-id": "request-\(number)", "lambda-runtime-deadline-ms": deadline,
                        "lambda-runtime-invoked-function-arn": "arn:aws:lambda:eu-west-1:123456789012:function:under-test",
                        "lambda-runtime-trace-id": "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=\(number % 2)",
                        "content-type": "application/json",
                    ], body: event)
            }
            let kind: String
            var requestId: String?
            if request.method == "POST", rest == ["init", "error"] {
                kind = "init/error"
            } else if request.method == "POST", rest.count == 3, rest[0] == "invocation", ["response", "error"].contains(rest[2]) {
                kind = rest[2]
                requestId = rest[1]
            } else {
                return refuse(404, "NotFound", "unknown path")
            }
            let answer: HTTPResponse = state.withLockedValue { state in
                if let id = requestId {
                    guard state.outstanding.contains(id) else { return refuse(400, "InvalidRequestID", "Invalid request ID") }
                    if kind == "response", state.failResponses > 0 {
                        state.failResponses -= 1
                        return refuse(500, "ServiceException", "try again")
                    }
                    if kind == "response", request.body.count > maxResponseBytes {
                        state.outstanding.remove(id)
                        return refuse(413, "RequestEntityTooLarge", "Response payload size exceeded maximum allowed payload size (\(maxResponseBytes) bytes).")
                    }
                    state.outstanding.remove(id)
                }
                return .json(202, Data(#"{"status":"OK"}"#.utf8))
            }
            state.withLockedValue {
                $0.posted.append(
                    Posted(
                        requestId: requestId, kind: kind, body: request.body, contentType: request.header("content-type"),
                        errorType: request.header("lambda-runtime-function-error-type"), status: answer.status))
            }
            return answer
        }
        return LambdaRuntimeAPIStandIn(server: server, state: state)
    }

    package func stop() async { await server.stop() }
}
