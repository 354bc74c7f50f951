import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// An `HTTPTransport` that answers from a script instead of a network, for unit tests of the
/// GitHub, queue and model clients: each step answers the first request whose method matches and
/// whose path ends with its suffix (once, unless `repeats`); anything unscripted gets a 599 naming
/// it, so a test sees the call it did not expect. Every request is kept in `sent`.
package final class ScriptedTransport: HTTPTransport, Sendable {
    package struct Step: Sendable {
        let method: String
        let pathSuffix: String
        let response: HTTPResponse
        let repeats: Bool

        package init(_ method: String, _ pathSuffix: String, status: Int = 200, headers: [String: String] = [:], json: String, repeats: Bool = false) {
            self.method = method
            self.pathSuffix = pathSuffix
            self.response = HTTPResponse(status: status, headers: headers.merging(["content-type": "application/json"]) { a, _ in a }, body: Data(json.utf8))
            self.repeats = repeats
        }
    }

    private let state: NIOLockedValueBox<(steps: [Step], sent: [HTTPRequest])>

    package init(_ steps: [Step]) { state = NIOLockedValueBox((steps, [])) }

    /// Every request made, in order.
    package var sent: [HTTPRequest] { state.withLockedValue { $0.sent } }

    package func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        state.withLockedValue { state in
            state.sent.append(request)
            guard let index = state.steps.firstIndex(where: { $0.method == request.method && request.url.path.hasSuffix($0.pathSuffix) }) else {
                return HTTPResponse(status: 599, headers: [:], body: Data("unscripted: \(request.method) \(request.url.path)".utf8))
            }
            let step = state.steps[index]
            if !step.repeats { state.steps.remove(at: index) }
            return step.response
        }
    }
}
