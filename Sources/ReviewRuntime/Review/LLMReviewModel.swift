import Foundation
import ReviewCore

/// The model settings, from `LLM_*` variables. No provider configured means the built-in rules.
public struct LLMConfig: Sendable, CustomStringConvertible {
    public enum Provider: String, Sendable { case rules, openai, anthropic }

    public var provider: Provider
    public var model: String
    public var baseURL: URL
    public var apiKey: String?
    public var maxOutputTokens: Int
    public var maxInputTokens: Int
    public var maxCalls: Int
    public var concurrency: Int
    public var timeout: TimeInterval
    /// US dollars per million tokens.
    public var inputPrice: Double
    public var outputPrice: Double

    public static func load(_ env: ConfigReader) -> LLMConfig {
        let explicit = env.optional("LLM_PROVIDER")?.lowercased()
        let implied: String = env.optional("LLM_BASE_URL") != nil || env.optional("LLM_API_KEY") != nil ? "openai" : "rules"
        let providerName = explicit.map { $0 == "openai-compatible" ? "openai" : $0 } ?? implied
        let provider = Provider(rawValue: providerName) ?? {
            env.invalid("LLM_PROVIDER must be rules, openai (any OpenAI-compatible server) or anthropic")
            return .rules
        }()
        let defaults: (model: String, url: String) = switch provider {
        case .anthropic: ("claude-sonnet-4-5", "https://api.anthropic.com")
        case .openai: ("gpt-4o-mini", "https://api.openai.com/v1")
        case .rules: ("built-in rules", "https://api.openai.com/v1")
        }
        let config = LLMConfig(
            provider: provider,
            model: env.optional("LLM_MODEL") ?? defaults.model,
            baseURL: env.url("LLM_BASE_URL", default: defaults.url),
            apiKey: provider == .anthropic ? env.required("LLM_API_KEY") : env.optional("LLM_API_KEY"),
            maxOutputTokens: env.int("LLM_MAX_OUTPUT_TOKENS", default: 4096, range: 64...200_000),
            maxInputTokens: env.int("LLM_MAX_INPUT_TOKENS", default: 32_000, range: 2_000...2_000_000),
            maxCalls: env.int("LLM_MAX_CALLS", default: 4, range: 1...64),
            concurrency: env.int("LLM_CONCURRENCY", default: 2, range: 1...16),
            timeout: env.seconds("LLM_TIMEOUT_SECONDS", default: 120),
            inputPrice: Double(env.optional("LLM_PRICE_INPUT_PER_MTOK") ?? "") ?? 0,
            outputPrice: Double(env.optional("LLM_PRICE_OUTPUT_PER_MTOK") ?? "") ?? 0
        )
        return config
    }

    /// The configured reviewer.
    public func makeModel(transport: any HTTPTransport) -> any ReviewModel {
        let planner = ReviewPlanner(maxInputTokens: maxInputTokens, maxCalls: maxCalls)
        switch provider {
        case .rules:
            return RulesModel()
        case .openai, .anthropic:
            let settings = ProviderSettings(model: model, baseURL: baseURL, apiKey: apiKey, maxOutputTokens: maxOutputTokens, timeout: timeout, transport: transport)
            let chat: any ChatProvider = provider == .openai ? OpenAICompatibleProvider(settings) : AnthropicProvider(settings)
            return LLMReviewModel(provider: chat, planner: planner, concurrency: concurrency, inputPrice: inputPrice, outputPrice: outputPrice)
        }
    }

    public var secretValues: [String] { [apiKey].compactMap(\.self) }
    public var description: String { "LLMConfig(\(provider.rawValue), model: \(model), baseURL: \(baseURL), apiKey: \(apiKey == nil ? "none" : "<redacted>"))" }
}

/// A model reviewer: packs the diff into calls under the budget, runs them with bounded concurrency,
/// validates each answer (one retry on invalid JSON, a refusal or a truncated answer), and keeps
/// what validates.
public struct LLMReviewModel: ReviewModel {
    public let provider: any ChatProvider
    public let planner: ReviewPlanner
    public let concurrency: Int
    public let inputPrice: Double
    public let outputPrice: Double

    public init(provider: any ChatProvider, planner: ReviewPlanner, concurrency: Int = 2, inputPrice: Double = 0, outputPrice: Double = 0) {
        self.provider = provider
        self.planner = planner
        self.concurrency = max(1, concurrency)
        self.inputPrice = inputPrice
        self.outputPrice = outputPrice
    }

    struct CallResult: Sendable { var parsed: FindingsParser.Parsed; var usage: ModelUsage }

    public func review(_ input: ReviewInput) async throws -> ModelReview {
        let plan = planner.plan(input.diff)
        var results: [Int: CallResult] = [:]
        try await withThrowingTaskGroup(of: (Int, CallResult).self) { group in
            var next = 0
            for _ in 0..<min(concurrency, plan.calls.count) {
                let index = next
                group.addTask { (index, try await call(plan.calls[index], input: input)) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < plan.calls.count {
                    let index = next
                    group.addTask { (index, try await call(plan.calls[index], input: input)) }
                    next += 1
                }
            }
        }
        let ordered = results.keys.sorted().compactMap { results[$0] }
        let input = ordered.reduce(0) { $0 + $1.usage.inputTokens }
        let output = ordered.reduce(0) { $0 + $1.usage.outputTokens }
        let summaries = ordered.compactMap(\.parsed.summary).filter { !$0.isEmpty }
        return ModelReview(
            findings: ordered.flatMap(\.parsed.findings), summary: summaries.isEmpty ? nil : summaries.joined(separator: "\n\n"),
            usage: ModelUsage(inputTokens: input, outputTokens: output, costUSD: Double(input) * inputPrice / 1e6 + Double(output) * outputPrice / 1e6),
            provider: provider.name, model: provider.model, errors: ordered.flatMap(\.parsed.errors), notReviewed: plan.leftOut
        )
    }

    private func call(_ chunk: [DiffFile], input: ReviewInput) async throws -> CallResult {
        let paths = Set(chunk.map(\.path))
        let user = ReviewPrompt.user(title: input.title, body: input.body, instructions: input.instructions, chunk: chunk)
        var usage = ModelUsage()
        var problem = ""
        for attempt in 0..<2 {
            let prompt = attempt == 0 ? user : user + "\n\nYour previous answer could not be used (\(problem)). Answer again with only JSON that matches the schema; keep it short."
            let answer = try await provider.complete(system: ReviewPrompt.system, user: prompt)
            usage.inputTokens += answer.usage.inputTokens
            usage.outputTokens += answer.usage.outputTokens
            switch answer.stop {
            case .refusal(let reason):
                problem = "the model refused: \(reason.prefix(200))"
                continue
            case .length, .complete:
                switch FindingsParser.parse(answer.text, paths: paths) {
                case .success(let parsed):
                    if answer.stop == .length && parsed.findings.isEmpty {
                        problem = "the answer was cut off at the output token limit"
                        continue
                    }
                    return CallResult(parsed: parsed, usage: usage)
                case .failure(let error):
                    problem = answer.stop == .length ? "the answer was cut off at the output token limit" : error.message
                }
            }
        }
        return CallResult(parsed: .init(findings: [], summary: nil, errors: ["\(chunk.map(\.path).joined(separator: ", ")): \(problem)"]), usage: usage)
    }
}
