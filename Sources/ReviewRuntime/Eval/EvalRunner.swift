import Foundation
import ReviewCore

/// Runs a reviewer over the labelled eval cases, one at a time, and scores where its findings land
/// (after anchoring, as a reader of the pull request would see them), with tokens, cost and latency.
public struct EvalRunner: Sendable {
    public let model: any ReviewModel
    public let clock: WallClock

    public init(model: any ReviewModel, clock: WallClock = .system) {
        self.model = model
        self.clock = clock
    }

    /// One case's outcome.
    public struct CaseResult: Codable, Sendable, Equatable {
        public var name: String
        public var language: String
        public var expected: [EvalCase.Expected]
        public var predictions: [EvalPrediction]
        public var score: EvalScore
        public var usage: ModelUsage
        public var latencyMs: Int
        /// Model output that did not validate.
        public var errors: [String]
    }

    /// Every case, and the totals.
    public struct Report: Codable, Sendable, Equatable {
        public var provider: String
        public var model: String
        public var cases: [CaseResult]
        public var total: EvalScore
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var usage: ModelUsage
        public var latencyMs: Int
    }

    public func run(_ cases: [EvalCase]) async throws -> Report {
        var results: [CaseResult] = []
        var provider = "", modelName = ""
        for item in cases {
            let diff = DiffParser.parse(item.diff)
            let plan = ReviewPlan(diff: diff, changedByPush: nil, withoutDiff: [], config: RepoConfig())
            let started = clock.now()
            let review = try await model.review(ReviewInput(title: item.title, body: item.body, diff: plan.diff))
            let latency = Int((clock.now().timeIntervalSince(started) * 1000).rounded())
            provider = review.provider
            modelName = review.model
            let anchorer = Anchorer(index: HunkIndex(diff))
            let predictions = review.findings.map { EvalPrediction($0, anchorer: anchorer) }
            results.append(
                CaseResult(
                    name: item.name, language: item.language, expected: item.expected, predictions: predictions,
                    score: EvalScore(expected: item.expected, predictions: predictions), usage: review.usage, latencyMs: latency, errors: review.errors))
        }
        let total = results.reduce(EvalScore()) { $0 + $1.score }
        let usage = results.reduce(ModelUsage()) { sum, result in
            ModelUsage(
                inputTokens: sum.inputTokens + result.usage.inputTokens, outputTokens: sum.outputTokens + result.usage.outputTokens,
                costUSD: (sum.costUSD ?? 0) + (result.usage.costUSD ?? 0))
        }
        return Report(
            provider: provider, model: modelName, cases: results, total: total, precision: total.precision, recall: total.recall, f1: total.f1,
            usage: usage, latencyMs: results.reduce(0) { $0 + $1.latencyMs })
    }

    /// The report as a table: one row per case, then the totals.
    public static func table(_ report: Report) -> String {
        func ratio(_ value: Double) -> String { String(format: "%.2f", value) }
        func cost(_ usage: ModelUsage) -> String { String(format: "$%.4f", usage.costUSD ?? 0) }
        let width = max(30, report.cases.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ count: Int) -> String { text.count >= count ? text : text + String(repeating: " ", count: count - text.count) }
        func left(_ text: String, _ count: Int) -> String { text.count >= count ? text : String(repeating: " ", count: count - text.count) + text }
        let header =
            pad("case", width) + pad(" language", 12) + left("expected", 9) + left("found", 7) + left("reported", 9) + left("right", 7)
            + left("P", 6) + left("R", 6) + left("tokens", 9) + left("cost", 10) + left("ms", 8)
        var lines = [header]
        for result in report.cases {
            let score = result.score
            lines.append(
                pad(result.name, width) + pad(" " + result.language, 12) + left("\(score.expected)", 9) + left("\(score.found)", 7)
                    + left("\(score.predicted)", 9) + left("\(score.truePositives)", 7) + left(ratio(score.precision), 6) + left(ratio(score.recall), 6)
                    + left("\(result.usage.inputTokens + result.usage.outputTokens)", 9) + left(cost(result.usage), 10) + left("\(result.latencyMs)", 8))
        }
        let total = report.total
        lines.append(
            pad("total (\(report.cases.count) cases)", width) + pad("", 12) + left("\(total.expected)", 9) + left("\(total.found)", 7)
                + left("\(total.predicted)", 9) + left("\(total.truePositives)", 7) + left(ratio(total.precision), 6) + left(ratio(total.recall), 6)
                + left("\(report.usage.inputTokens + report.usage.outputTokens)", 9) + left(cost(report.usage), 10) + left("\(report.latencyMs)", 8))
        lines.append(
            "\(report.provider) · \(report.model): precision \(ratio(report.precision)), recall \(ratio(report.recall)), F1 \(ratio(report.f1)) "
                + "— a finding counts only on the right file and a line within the expected range")
        return lines.joined(separator: "\n")
    }
}
