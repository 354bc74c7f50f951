import Foundation
import ReviewCore

/// How a chat call ended, beyond its text.
public enum StopKind: Sendable, Equatable {
    case complete
    /// The output hit the token limit.
    case length
    /// The model declined.
    case refusal(String)
}

/// A provider's text answer with the tokens it counted.
public struct ProviderAnswer: Sendable, Equatable {
    /// The JSON text of the findings (from the message or the forced tool call).
    public var text: String
    public var stop: StopKind
    public var usage: ModelUsage

    public init(text: String, stop: StopKind, usage: ModelUsage) {
        self.text = text
        self.stop = stop
        self.usage = usage
    }
}

/// One chat-completion API: a system prompt and a user prompt in, a JSON answer out.
public protocol ChatProvider: Sendable {
    var name: String { get }
    var model: String { get }
    /// One call whose answer must match `schema`.
    func complete(system: String, user: String, schema: ResponseSchema) async throws -> ProviderAnswer
}

extension ChatProvider {
    /// A call answered with review findings.
    public func complete(system: String, user: String) async throws -> ProviderAnswer {
        try await complete(system: system, user: user, schema: .findings)
    }
}

/// Maps a provider's error answer: 429, 529 and "overloaded" are rate limits (honouring
/// `retry-after` and the providers' rate-limit headers), other 5xx retryable, 400/401/403 and other
/// 4xx permanent. The API key is never part of the message.
enum ProviderErrors {
    static func error(_ response: HTTPResponse, provider: String, apiKey: String?) -> ReviewError {
        var detail =
            (try? JSONValue.parse(response.body)).flatMap { $0["error"]?["message"]?.stringValue ?? $0["error"]?.stringValue ?? $0["message"]?.stringValue }
            ?? ""
        detail = Redaction.redact(detail, secrets: apiKey.map { [$0] } ?? [])
        let message = "\(provider) answered HTTP \(response.status)" + (detail.isEmpty ? "" : ": \(detail.prefix(300))")
        let retryAfter = RetryAfter.seconds(now: Date(), header: response.header)
        let overloaded = String(decoding: response.body.prefix(4096), as: UTF8.self).lowercased().contains("overloaded")
        switch response.status {
        case 429, 529,
            500...599 where overloaded:
            // A limit of the API key (shared by the whole deployment), or the provider shedding load.
            return ReviewError(.modelRateLimited, message, retryAfter: retryAfter ?? 30)
        case 500...599, 408:
            return ReviewError(.modelUnavailable, message, retryAfter: retryAfter)
        case 401, 403:
            return ReviewError(.modelUnauthorized, message + " (check LLM_API_KEY)")
        default:
            return ReviewError(.modelRejected, message)
        }
    }

    /// POSTs `body` to `path` under the provider's base URL and reads the JSON answer; a failed
    /// call, a non-200 answer and a body that is not JSON become the provider's typed errors.
    static func post(_ settings: ProviderSettings, _ path: String, headers: [String: String], body: JSONValue, provider: String) async throws -> JSONValue {
        let request = HTTPRequest(
            method: "POST", url: settings.baseURL.appendingPathComponent(path), headers: headers, body: try JSONEncoder.iso.encode(body),
            timeout: settings.timeout, maxResponseBytes: 16 * 1024 * 1024)  // an answer is a few KB; a model server gone wrong is cut off
        let response: HTTPResponse
        do {
            response = try await settings.transport.send(request)
        } catch let error as ReviewError {
            throw ReviewError(.modelUnavailable, "\(provider) unreachable: \(error.message)")
        }
        guard response.status == 200 else { throw error(response, provider: provider, apiKey: settings.apiKey) }
        return try JSONValue.parse(response.body, what: "\(provider) response")
    }
}

/// What every provider needs to make a call.
public struct ProviderSettings: Sendable {
    public var model: String
    public var baseURL: URL
    public var apiKey: String?
    public var maxOutputTokens: Int
    public var timeout: TimeInterval
    public var transport: any HTTPTransport

    public init(model: String, baseURL: URL, apiKey: String?, maxOutputTokens: Int, timeout: TimeInterval, transport: any HTTPTransport) {
        self.model = model
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.maxOutputTokens = maxOutputTokens
        self.timeout = timeout
        self.transport = transport
    }
}

/// OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, llama.cpp server) with a strict JSON schema.
public struct OpenAICompatibleProvider: ChatProvider {
    public let name = "openai-compatible"
    let settings: ProviderSettings
    public var model: String { settings.model }

    public init(_ settings: ProviderSettings) { self.settings = settings }

    /// One chat completion; errors are typed by what the provider answered.
    public func complete(system: String, user: String, schema: ResponseSchema) async throws -> ProviderAnswer {
        let tokenField = settings.baseURL.host == "api.openai.com" ? "max_completion_tokens" : "max_tokens"
        let body: JSONValue = .object([
            "model": .string(settings.model),
            "messages": .array([
                .object(["role": .string("system"), "content": .string(system)]),
                .object(["role": .string("user"), "content": .string(user)]),
            ]),
            tokenField: .number(Double(settings.maxOutputTokens)),
            "temperature": .number(0),
            "response_format": .object([
                "type": .string("json_schema"),
                "json_schema": .object(["name": .string(schema.name), "strict": .bool(true), "schema": schema.schema]),
            ]),
        ])
        var headers = ["content-type": "application/json"]
        if let key = settings.apiKey, !key.isEmpty { headers["authorization"] = "Bearer \(key)" }
        let json = try await ProviderErrors.post(settings, "chat/completions", headers: headers, body: body, provider: name)
        let choice = json["choices"].flatMap { if case .array(let items) = $0 { items.first } else { nil } }
        let usage = ModelUsage(
            inputTokens: json["usage"]?["prompt_tokens"].flatMap(Self.int) ?? 0, outputTokens: json["usage"]?["completion_tokens"].flatMap(Self.int) ?? 0)
        if let refusal = choice?["message"]?["refusal"]?.stringValue, !refusal.isEmpty {
            return ProviderAnswer(text: "", stop: .refusal(refusal), usage: usage)
        }
        let text = choice?["message"]?["content"]?.stringValue ?? ""
        return ProviderAnswer(text: text, stop: choice?["finish_reason"]?.stringValue == "length" ? .length : .complete, usage: usage)
    }

    static func int(_ value: JSONValue) -> Int? { if case .number(let n) = value { Int(n) } else { nil } }
}

/// Anthropic Messages with a forced tool call carrying the answer's schema.
public struct AnthropicProvider: ChatProvider {
    public let name = "anthropic"
    let settings: ProviderSettings
    public var model: String { settings.model }

    public init(_ settings: ProviderSettings) { self.settings = settings }

    public func complete(system: String, user: String, schema: ResponseSchema) async throws -> ProviderAnswer {
        let tool = schema.name
        let body: JSONValue = .object([
            "model": .string(settings.model),
            "max_tokens": .number(Double(settings.maxOutputTokens)),
            "temperature": .number(0),
            "system": .string(system),
            "messages": .array([.object(["role": .string("user"), "content": .string(user)])]),
            "tools": .array([
                .object([
                    "name": .string(tool),
                    "description": .string(schema.description),
                    "input_schema": schema.schema,
                ])
            ]),
            "tool_choice": .object(["type": .string("tool"), "name": .string(tool)]),
        ])
        let headers = ["content-type": "application/json", "x-api-key": settings.apiKey ?? "", "anthropic-version": "2023-06-01"]
        let json = try await ProviderErrors.post(settings, "v1/messages", headers: headers, body: body, provider: name)
        let usage = ModelUsage(
            inputTokens: json["usage"]?["input_tokens"].flatMap(OpenAICompatibleProvider.int) ?? 0,
            outputTokens: json["usage"]?["output_tokens"].flatMap(OpenAICompatibleProvider.int) ?? 0
        )
        let stopReason = json["stop_reason"]?.stringValue
        if stopReason == "refusal" { return ProviderAnswer(text: "", stop: .refusal("the model refused"), usage: usage) }
        guard case .array(let blocks)? = json["content"],
            let call = blocks.first(where: { $0["type"]?.stringValue == "tool_use" && $0["name"]?.stringValue == tool }),
            let input = call["input"], let data = try? JSONEncoder.iso.encode(input)
        else {
            return ProviderAnswer(text: "", stop: stopReason == "max_tokens" ? .length : .refusal("no \(tool) tool call"), usage: usage)
        }
        return ProviderAnswer(text: String(decoding: data, as: UTF8.self), stop: stopReason == "max_tokens" ? .length : .complete, usage: usage)
    }
}
