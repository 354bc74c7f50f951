import Foundation
import ReviewCore

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

    public var contextBudgetTokens: Int { planner.maxInputTokens * planner.maxCalls }

    struct CallResult: Sendable { var parsed: FindingsParser.Parsed; var usage: ModelUsage }

    /// Plans the calls, asks the provider (bounded concurrency), and merges the answers.
    public func review(_ input: ReviewInput) async throws -> ModelReview {
        let plan = planner.plan(
            input.diff, heads: input.heads, context: input.context,
            fixedTokens: ReviewPrompt.fixedTokens(title: input.title, body: input.body, instructions: input.instructions))
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
        var review = ModelReview(
            findings: ordered.flatMap(\.parsed.findings), summary: summaries.isEmpty ? nil : summaries.joined(separator: "\n\n"),
            usage: ModelUsage(inputTokens: input, outputTokens: output, costUSD: Double(input) * inputPrice / 1e6 + Double(output) * outputPrice / 1e6),
            provider: provider.name, model: provider.model, errors: ordered.flatMap(\.parsed.errors), notReviewed: plan.leftOut
        )
        review.reviewedInPart =
            plan.contextCut.map { ReviewScope.Skipped(path: $0, reason: "read without the file around its hunks (over the review budget)") }
            + plan.shortened.map { ReviewScope.Skipped(path: $0, reason: "deletions shown in one line each (over the review budget)") }
        review.fileSummaries = ordered.reduce(into: [:]) { all, result in all.merge(result.parsed.fileSummaries) { first, _ in first } }
        return review
    }

    /// Answers a question from the PR's text and as much of its diff as the input budget holds;
    /// one retry when the answer is not the schema's JSON.
    public func answer(_ question: QuestionInput) async throws -> ModelAnswer? {
        let budget = max(4_000, (planner.maxInputTokens - planner.overheadTokens) * 3)
        let user = AnswerPrompt.user(
            question: question.question, thread: question.thread, code: question.code, title: question.title, body: question.body,
            diff: question.diff, budgetBytes: budget)
        var usage = ModelUsage()
        var problem = ""
        for attempt in 0..<2 {
            let prompt =
                attempt == 0 ? user : user + "\n\nYour previous answer could not be used (\(problem)). Answer again with only JSON that matches the schema."
            let answer = try await provider.complete(system: AnswerPrompt.system, user: prompt, schema: .answer)
            usage.inputTokens += answer.usage.inputTokens
            usage.outputTokens += answer.usage.outputTokens
            if case .refusal(let reason) = answer.stop {
                problem = "the model refused: \(reason.prefix(200))"
                continue
            }
            switch AnswerPrompt.parse(answer.text) {
            case .success(let text):
                usage.costUSD = Double(usage.inputTokens) * inputPrice / 1e6 + Double(usage.outputTokens) * outputPrice / 1e6
                return ModelAnswer(text: text, usage: usage, provider: provider.name, model: provider.model)
            case .failure(let error):
                problem = answer.stop == .length ? "the answer was cut off at the output token limit" : error.message
            }
        }
        throw ReviewError(.modelInvalidOutput, "no usable answer after a retry: \(problem)")
    }

    private func call(_ chunk: [PromptFile], input: ReviewInput) async throws -> CallResult {
        let paths = Set(chunk.map(\.path))
        let user = ReviewPrompt.user(title: input.title, body: input.body, instructions: input.instructions, chunk: chunk)
        var usage = ModelUsage()
        var problem = ""
        for attempt in 0..<2 {
            let prompt =
                attempt == 0
                ? user : user + ReviewPrompt.retryNote(problem)
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
