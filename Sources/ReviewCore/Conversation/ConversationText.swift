import Foundation

/// The reviewer's short answers in a pull request's conversation: each quotes what it answers as
/// plain text and ends with the reply marker, so a command answered twice is answered once.
public enum ConversationText {
    /// How the App is addressed in text: `@slug`, or `/` when the slug is not known.
    static func address(_ slug: String?) -> String { slug.map { "@\($0) " } ?? "/" }

    /// The list of commands, as a table.
    public static func help(slug: String?) -> String {
        let rows = PRCommand.table.map { "| `\(address(slug))\($0.usage)` | \($0.explanation) |" }
        return "**Commands** (from a user with write access, in a comment on this pull request):\n\n| command | what it does |\n|---|---|\n"
            + rows.joined(separator: "\n")
    }

    public static func unknown(_ word: String, slug: String?) -> String {
        "I do not know the command \(MarkdownText.code(word)).\n\n" + help(slug: slug)
    }

    public static func refused(author: String, association: String) -> String {
        "Sorry @\(MarkdownText.plain(author).replacingOccurrences(of: "@", with: "")), only users with write access to this repository can "
            + "give me commands (your association is \(MarkdownText.code(association.lowercased())))."
    }

    public static let paused = "Automatic reviews are paused on this pull request. Comment `resume` to me to start them again; `review` still works."
    public static let resumed = "Automatic reviews are back on for this pull request: the next push is reviewed."
    public static let needsModel =
        "Answering questions needs a language model, and this installation reviews with the built-in rules only "
        + "(its operator can set `LLM_PROVIDER`)."

    /// The answer to a `review` or `full review` that posted nothing, with why.
    public static func reviewed(_ outcome: ReviewOutcome) -> String? {
        switch outcome.status {
        case .posted: return nil
        case .nothingNew: return "I reviewed the pull request again: nothing new to report."
        case .alreadyReviewed, .stale, .skipped: return "No review posted: \(MarkdownText.plain(outcome.reason ?? outcome.status.rawValue))."
        }
    }

    /// A model's answer as plain text (it is untrusted), after the question it answers, with a
    /// footer naming the model and what the answer cost.
    public static func answer(_ text: String, question: String?, provider: String, model: String, usage: ModelUsage) -> String {
        let asked = question.map { "> " + MarkdownText.plain($0.prefix(300)) + "\n\n" } ?? ""
        let cost = usage.costUSD.map { String(format: "$%.4f", $0) } ?? "$0"
        return asked + MarkdownText.plain(text, keepingLines: true)
            + "\n\n<sub>\(MarkdownText.plain(provider)) · \(MarkdownText.plain(model)) · \(usage.inputTokens) input / \(usage.outputTokens) output tokens · \(cost)</sub>"
    }

    /// `text` with the reply marker for `commentId` as its last line.
    public static func marked(_ text: String, to commentId: Int) -> String {
        text + "\n\n" + ReviewMarker.reply(to: commentId)
    }
}
