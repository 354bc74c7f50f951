import Foundation
import Logging
import ReviewCore

/// One function's logic, whichever way the invocation came in (see `FunctionRunner`).
public protocol FunctionHandler: Sendable {
    /// An event (file, stdin, Lambda) → the JSON result. Throws only when the event cannot be handled at all.
    func handle(event: Data, context: InvocationContext) async throws -> Data

    /// A raw HTTP request (serve mode).
    func handle(http: HTTPRequest, context: InvocationContext) async -> HTTPResponse

    /// Secret values this handler was configured with, scrubbed from every log line.
    var secretValues: [String] { get }

    /// The limits of its HTTP server in serve mode (its body limit, above all).
    var serveLimits: HTTPServerLimits { get }

    /// Throws when serving on `host` would let strangers invoke it unauthenticated.
    func checkServe(host: String) throws(ReviewError)

    /// An answer to a request decided from its head alone (no body yet, so none is read), or nil
    /// to read the request and handle it: a refused caller costs no body.
    func screen(head: HTTPRequest) -> HTTPResponse?

    /// Why the function cannot do its work now (its queue does not answer), or nil: `/readyz`.
    func readiness() async -> ReviewError?

    /// The process is shutting down: start no new work.
    func beginShutdown()

    /// After `beginShutdown`: work the handler started in the background gets `grace` seconds to end.
    func finishBackground(grace: TimeInterval) async

    /// The queue's counts for the metrics (nil: this function has none).
    func queueStats() async -> QueueStats?

    /// The queue's depth in O(1), for an autoscaler (nil: this function has no queue).
    func queueDepth() async throws -> QueueDepth?
}

extension FunctionHandler {
    public var serveLimits: HTTPServerLimits { HTTPServerLimits() }

    /// By default any host may serve.
    public func checkServe(host: String) throws(ReviewError) {}

    /// By default every request is read.
    public func screen(head: HTTPRequest) -> HTTPResponse? { nil }

    public func readiness() async -> ReviewError? { nil }

    public func beginShutdown() {}

    public func finishBackground(grace: TimeInterval) async {}

    public func queueStats() async -> QueueStats? { nil }

    public func queueDepth() async throws -> QueueDepth? { nil }

    /// By default an HTTP invocation carries an event as its body.
    public func handle(http: HTTPRequest, context: InvocationContext) async -> HTTPResponse {
        await handleEvent(http: http, context: context)
    }

    /// An HTTP invocation whose body is an event: 405 unless POST, the result as JSON, errors as `ErrorAnswer`.
    public func handleEvent(http: HTTPRequest, context: InvocationContext) async -> HTTPResponse {
        guard http.method == "POST" else {
            return ErrorAnswer(ReviewError(.methodNotAllowed, "POST an event to invoke this function")).http
        }
        do {
            return .json(200, try await handle(event: http.body, context: context))
        } catch {
            return ErrorAnswer(error).http
        }
    }
}
