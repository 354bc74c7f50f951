import Foundation
import ReviewCore

/// The model settings, from `LLM_*` variables. No provider configured means the built-in rules.
public struct LLMConfig: Sendable, CustomStringConvertible {
    /// Who answers: the built-in rules, an OpenAI-compatible server, or Anthropic.
    public enum Provider: String, Sendable { case rules, openai, anthropic }

    public var provider: Provider
    public var model: String
    public var baseURL: URL
    public var apiKey: String?
    public var maxOutputTokens: Int
    public var maxInputTokens: Int
    public var maxCalls: Int
    public var concurrency: Int
    /// Model calls at once in the whole process, across its jobs (`LLM_MAX_CONCURRENT_CALLS`).
    public var processCallLimit = 4
    public var timeout: TimeInterval
    /// US dollars per million tokens.
    public var inputPrice: Double
    public var outputPrice: Double

    /// Reads `LLM_*` from the environment (defaults: the rules reviewer).
    public static func load(_ env: EnvironmentReader) -> LLMConfig {
        let explicit = env.optional("LLM_PROVIDER")?.lowercased()
        let implied: String = env.optional("LLM_BASE_URL") != nil || env.optional("LLM_API_KEY") != nil ? "openai" : "rules"
        let providerName = explicit.map { $0 == "openai-compatible" ? "openai" : $0 } ?? implied
        let provider =
            Provider(rawValue: providerName)
            ?? {
                env.invalid("LLM_PROVIDER must be rules, openai (any OpenAI-compatible server) or anthropic")
                return .rules
            }()
        let defaults: (model: String, url: String) =
            switch provider {
            case .anthropic: ("claude-sonnet-4-5", "https://api.anthropic.com")
            case .openai: ("gpt-4o-mini", "https://api.openai.com/v1")
            case .rules: ("built-in rules", "https://api.openai.com/v1")
            }
        var config = LLMConfig(
            provider: provider,
            model: env.optional("LLM_MODEL") ?? defaults.model,
            baseURL: env.url("LLM_BASE_URL", default: defaults.url),
            apiKey: env.optional("LLM_API_KEY"),
            maxOutputTokens: env.int("LLM_MAX_OUTPUT_TOKENS", default: 4096, range: 64...200_000),
            maxInputTokens: env.int("LLM_MAX_INPUT_TOKENS", default: 32_000, range: 2_000...2_000_000),
            maxCalls: env.int("LLM_MAX_CALLS", default: 4, range: 1...64),
            concurrency: env.int("LLM_CONCURRENCY", default: 2, range: 1...16),
            timeout: env.seconds("LLM_TIMEOUT_SECONDS", default: 120),
            inputPrice: Double(env.optional("LLM_PRICE_INPUT_PER_MTOK") ?? "") ?? 0,
            outputPrice: Double(env.optional("LLM_PRICE_OUTPUT_PER_MTOK") ?? "") ?? 0
        )
        config.processCallLimit = env.int("LLM_MAX_CONCURRENT_CALLS", default: config.processCallLimit, range: 1...256)
        if config.apiKey == nil, config.isHosted {
            // Refused at start, not job by job: every pull request would fail on the first call.
            env.invalid(
                "LLM_API_KEY is required for LLM_PROVIDER=\(provider.rawValue) at \(config.baseURL.absoluteString) (a hosted model); "
                    + "set it, or point LLM_BASE_URL at a local server (http://…)")
        }
        return config
    }

    /// Whether the model is a hosted service, which needs a key: Anthropic, or an OpenAI-compatible
    /// server reached over https off the local machine (a local server — llama.cpp, vLLM, a compose
    /// service — is plain http, and may need none).
    public var isHosted: Bool {
        switch provider {
        case .rules: false
        case .anthropic: true
        case .openai: baseURL.scheme == "https" && !HTTPAccess.isLoopback(baseURL.host ?? "")
        }
    }

    /// The configured reviewer.
    /// The reviewer this configuration names; with `budget`, every model call goes through it
    /// (the deployment's shared rate limits, stored answers, the process's call cap).
    public func makeModel(transport: any HTTPTransport, budget: SharedModelBudget? = nil) -> any ReviewModel {
        let planner = ReviewPlanner(maxInputTokens: maxInputTokens, maxCalls: maxCalls)
        switch provider {
        case .rules:
            return RulesModel()
        case .openai, .anthropic:
            let settings = ProviderSettings(
                model: model, baseURL: baseURL, apiKey: apiKey, maxOutputTokens: maxOutputTokens, timeout: timeout, transport: transport)
            let direct: any ChatProvider = provider == .openai ? OpenAICompatibleProvider(settings) : AnthropicProvider(settings)
            let chat = budget?.wrap(direct) ?? direct
            return LLMReviewModel(provider: chat, planner: planner, concurrency: concurrency, inputPrice: inputPrice, outputPrice: outputPrice)
        }
    }

    public var secretValues: [String] { [apiKey].compactMap(\.self) }
    public var description: String { "LLMConfig(\(provider.rawValue), model: \(model), baseURL: \(baseURL), apiKey: \(apiKey == nil ? "none" : "<redacted>"))" }
}
