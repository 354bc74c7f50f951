import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// A hosted model as its API looks from outside: OpenAI chat completions (`POST /chat/completions`)
/// and Anthropic Messages (`POST /v1/messages`). It records every request and answers from a script
/// of replies (the last one repeats), wrapping each in the provider's own response shape.
public final class ModelStandIn: Sendable {
    public enum Reply: Sendable {
        /// JSON text of the findings document.
        case findings(String)
        /// Text that is not what was asked for.
        case raw(String)
        case truncated(String)
        case refusal
        case httpError(Int, headers: [String: String], body: String)
    }

    public let server: HTTPServer
    private let state: NIOLockedValueBox<(replies: [Reply], requests: [HTTPRequest])>
    public var url: URL { URL(string: "http://127.0.0.1:\(server.port)")! }
    public var requests: [HTTPRequest] { state.withLockedValue { $0.requests } }

    private init(server: HTTPServer, state: NIOLockedValueBox<(replies: [Reply], requests: [HTTPRequest])>) {
        self.server = server
        self.state = state
    }

    public static func start(_ replies: [Reply]) async throws -> ModelStandIn {
        let state = NIOLockedValueBox<(replies: [Reply], requests: [HTTPRequest])>((replies, []))
        let server = try await HTTPServer.start(port: 0, threads: 1) { request in
            let reply = state.withLockedValue { state -> Reply in
                state.requests.append(request)
                return state.replies.count > 1 ? state.replies.removeFirst() : state.replies.first ?? .raw("")
            }
            return respond(reply, anthropic: request.url.path.hasSuffix("/v1/messages"))
        }
        return ModelStandIn(server: server, state: state)
    }

    public func stop() async { await server.stop() }

    static func respond(_ reply: Reply, anthropic: Bool) -> HTTPResponse {
        let usage = anthropic ? #""usage":{"input_tokens":1000,"output_tokens":200}"# : #""usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}"#
        func quoted(_ text: String) -> String { String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self) }
        let body: String
        switch reply {
        case .httpError(let status, let headers, let text):
            return HTTPResponse(status: status, headers: headers.merging(["content-type": "application/json"]) { a, _ in a }, body: Data(text.utf8))
        case .findings(let json):
            body = anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"tu_1","name":"report_findings","input":\#(json)}],"stop_reason":"tool_use",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(json)),"refusal":null},"finish_reason":"stop"}],\#(usage)}"#
        case .raw(let text):
            body = anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":\#(quoted(text))}],"stop_reason":"end_turn",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(text))},"finish_reason":"stop"}],\#(usage)}"#
        case .truncated(let text):
            body = anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":\#(quoted(text))}],"stop_reason":"max_tokens",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(text))},"finish_reason":"length"}],\#(usage)}"#
        case .refusal:
            body = anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[],"stop_reason":"refusal",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],\#(usage)}"#
        }
        return .json(200, Data(body.utf8))
    }
}
