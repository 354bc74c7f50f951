import Foundation

/// What the pull request's check run says while a review runs and when it ends: a conclusion that
/// never asks for action (`success` when nothing was found, `neutral` when something was, `skipped`
/// when the head moved on, `failure` only when the review itself could not be done) and a title and
/// summary a reader takes in at a glance. Everything from the pull request is escaped.
public enum CheckRunText {
    /// The check run's name on every head.
    public static let name = "PR review"

    public struct Output: Codable, Sendable, Equatable {
        public var title: String
        public var summary: String
        public var text: String?

        public init(title: String, summary: String, text: String? = nil) {
            self.title = title
            self.summary = summary
            self.text = text
        }
    }

    public static func inProgress(attempt: Int, previousError: String? = nil) -> Output {
        let retry = previousError.map { "\n\nAttempt \(attempt - 1) failed (\(MarkdownText.plain(String($0.prefix(500))))); trying again." } ?? ""
        return Output(title: "Reviewing", summary: "The review of this commit is under way." + retry, text: nil)
    }

    /// The review's result: `findings` are every finding for this head (posted now or before).
    public static func reviewed(
        findings: [Finding], newlyPosted: Int, notReviewed: [ReviewScope.Skipped], provider: String, model: String, usage: ModelUsage, reviewedFiles: Int
    ) -> (conclusion: String, output: Output) {
        let counts = Dictionary(findings.map { ($0.severity, 1) }, uniquingKeysWith: +)
        let tally = Finding.Severity.allCases.compactMap { severity in counts[severity].map { "\($0) \(ReviewComposer.label(severity).lowercased())" } }
        let title =
            findings.isEmpty
            ? "No problems found"
            : "\(findings.count) finding\(findings.count == 1 ? "" : "s"): \(tally.joined(separator: ", "))"
        var summary = "\(reviewedFiles) file\(reviewedFiles == 1 ? "" : "s") reviewed"
        // Only what there is: the new ones, those already on the pull request, or both.
        let earlier = findings.count - newlyPosted
        if findings.isEmpty {
            summary += "."
        } else if earlier <= 0 {
            summary += newlyPosted == 1 ? "; new in this review." : "; all \(newlyPosted) new in this review."
        } else if newlyPosted == 0 {
            summary +=
                earlier == 1 ? "; nothing new: the finding was already on the pull request." : "; nothing new: all \(earlier) were already on the pull request."
        } else {
            summary += "; \(newlyPosted) new in this review, \(earlier) already on the pull request."
        }
        if !notReviewed.isEmpty {
            summary +=
                "\n\n**Not reviewed**\n"
                + notReviewed.prefix(50).map { "- \(MarkdownText.code($0.path)) — \(MarkdownText.plain($0.reason))" }
                .joined(separator: "\n")
            if notReviewed.count > 50 { summary += "\n- and \(notReviewed.count - 50) more" }
        }
        let cost = usage.costUSD.map { String(format: "$%.4f", $0) } ?? "$0"
        summary +=
            "\n\n\(MarkdownText.plain(provider)) · \(MarkdownText.plain(model)) · \(usage.inputTokens) input / \(usage.outputTokens) output tokens · \(cost)"
        let text =
            findings.isEmpty
            ? nil
            : findings.prefix(100).map { finding in
                let place = MarkdownText.code(finding.path + (finding.line.map { ":\($0)" } ?? ""))
                return "- \(place) **\(ReviewComposer.label(finding.severity))**: \(MarkdownText.plain(String(finding.title.prefix(200))))"
            }.joined(separator: "\n")
        return (findings.isEmpty ? "success" : "neutral", Output(title: title, summary: summary, text: text))
    }

    /// Nothing reviewed for this head, and why (it moved on, the description says ignore…).
    public static func skipped(_ reason: String) -> (conclusion: String, output: Output) {
        ("skipped", Output(title: "Not reviewed", summary: MarkdownText.plain(String(reason.prefix(2_000))), text: nil))
    }

    /// The review could not be done, after every attempt.
    public static func failed(_ reason: String, attempts: Int) -> (conclusion: String, output: Output) {
        (
            "failure",
            Output(
                title: "The review could not be completed",
                summary: "After \(attempts) attempt\(attempts == 1 ? "" : "s"): \(MarkdownText.plain(String(reason.prefix(2_000)))).\n\n"
                    + "An operator can retry it (`reviewctl queue retry`); commenting `review` asks for a new one.", text: nil)
        )
    }
}
