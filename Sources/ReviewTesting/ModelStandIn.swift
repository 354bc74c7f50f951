import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// A hosted model as its API looks from outside: OpenAI chat completions (`POST /chat/completions`)
/// and Anthropic Messages (`POST /v1/messages`). It records every request and answers from a script
/// of replies (the last one repeats), wrapping each in the provider's own response shape.
package final class ModelStandIn: Sendable {
    package enum Reply: Sendable {
        /// JSON text of the findings document.
        case findings(String)
        /// Text that is not what was asked for.
        case raw(String)
        case truncated(String)
        case refusal
        case httpError(Int, headers: [String: String], body: String)
        /// One finding on the first added line of the diff it was sent, as a model that read it would.
        case quotingFirstAddedLine
        /// The findings document a function of the prompt (the first user message) gives.
        case computed(@Sendable (String) -> String)
    }

    package let server: HTTPServer
    private let state: NIOLockedValueBox<(replies: [Reply], requests: [HTTPRequest])>
    package var url: URL { URL(string: "http://127.0.0.1:\(server.port)")! }
    package var requests: [HTTPRequest] { state.withLockedValue { $0.requests } }

    private init(server: HTTPServer, state: NIOLockedValueBox<(replies: [Reply], requests: [HTTPRequest])>) {
        self.server = server
        self.state = state
    }

    package static func start(_ replies: [Reply]) async throws -> ModelStandIn {
        let state = NIOLockedValueBox<(replies: [Reply], requests: [HTTPRequest])>((replies, []))
        let server = try await HTTPServer.start(port: 0) { request in
            let reply = state.withLockedValue { state -> Reply in
                state.requests.append(request)
                return state.replies.count > 1 ? state.replies.removeFirst() : state.replies.first ?? .raw("")
            }
            // Anthropic answers through the tool the request forced.
            let tool = (try? JSONValue.parse(request.body))?["tool_choice"]?["name"]?.stringValue ?? "report_findings"
            let anthropic = request.url.path.hasSuffix("/v1/messages")
            if case .quotingFirstAddedLine = reply {
                return respond(.findings(findingOnFirstAddedLine(request)), anthropic: anthropic, tool: tool)
            }
            if case .computed(let answer) = reply {
                return respond(.findings(answer(prompt(request))), anthropic: anthropic, tool: tool)
            }
            return respond(reply, anthropic: anthropic, tool: tool)
        }
        return ModelStandIn(server: server, state: state)
    }

    package func stop() async { await server.stop() }

    /// Reads the prompt's `### path` headings and `+N | code` lines (both APIs put the diff in the
    /// first user message) and reports the first added line.
    static func findingOnFirstAddedLine(_ request: HTTPRequest) -> String {
        var path = ""
        for line in prompt(request).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("### ") {
                path = String(line.dropFirst(4).prefix { $0 != " " })
            } else if line.hasPrefix("+"), let bar = line.range(of: " | "), let number = Int(line[line.index(after: line.startIndex)..<bar.lowerBound]) {
                let finding: JSONValue = .object([
                    "path": .string(path), "side": .string("RIGHT"), "line": .number(Double(number)), "quote": .string(String(line[bar.upperBound...])),
                    "severity": .string("bug"), "title": .string("Check this line"), "body": .string("A scripted finding."), "suggestion": .null,
                ])
                let document: JSONValue = .object(["summary": .string("One finding."), "findings": .array([finding])])
                return String(decoding: (try? JSONEncoder.iso.encode(document)) ?? Data(), as: UTF8.self)
            }
        }
        return #"{"summary":"Nothing to report.","findings":[]}"#
    }

    /// The first user message of a request (both APIs put the diff there).
    static func prompt(_ request: HTTPRequest) -> String {
        guard case .array(let messages)? = (try? JSONValue.parse(request.body))?["messages"] else { return "" }
        return messages.first { $0["role"]?.stringValue == "user" }?["content"]?.stringValue ?? ""
    }

    static func respond(_ reply: Reply, anthropic: Bool, tool: String = "report_findings") -> HTTPResponse {
        let usage =
            anthropic ? #""usage":{"input_tokens":1000,"output_tokens":200}"# : #""usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}"#
        func quoted(_ text: String) -> String { String(decoding: (try? JSONEncoder().encode(text)) ?? Data(), as: UTF8.self) }
        let body: String
        switch reply {
        case .httpError(let status, let headers, let text):
            return HTTPResponse(status: status, headers: headers.merging(["content-type": "application/json"]) { a, _ in a }, body: Data(text.utf8))
        case .quotingFirstAddedLine, .computed:
            return respond(.findings(#"{"summary":"","findings":[]}"#), anthropic: anthropic, tool: tool)
        case .findings(let json):
            body =
                anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"tool_use","id":"tu_1","name":"\#(tool)","input":\#(json)}],"stop_reason":"tool_use",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(json)),"refusal":null},"finish_reason":"stop"}],\#(usage)}"#
        case .raw(let text):
            body =
                anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":\#(quoted(text))}],"stop_reason":"end_turn",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(text))},"finish_reason":"stop"}],\#(usage)}"#
        case .truncated(let text):
            body =
                anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":\#(quoted(text))}],"stop_reason":"max_tokens",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(text))},"finish_reason":"length"}],\#(usage)}"#
        case .refusal:
            body =
                anthropic
                ? #"{"id":"msg_1","type":"message","role":"assistant","content":[],"stop_reason":"refusal",\#(usage)}"#
                : #"{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],\#(usage)}"#
        }
        return .json(200, Data(body.utf8))
    }
}
