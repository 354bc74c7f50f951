import Foundation

/// What a reviewer is shown: the pull request's own text (untrusted) and the diff to review.
public struct ReviewInput: Sendable {
    public var title: String
    public var body: String
    public var diff: UnifiedDiff
    /// The repository's own instructions (from its config on the base branch).
    public var instructions: String
    /// The head version of reviewed files (path → file), for the lines around each hunk.
    public var heads: [String: HeadFile]
    public var context: ContextSettings

    public init(
        title: String, body: String, diff: UnifiedDiff, instructions: String = "", heads: [String: HeadFile] = [:], context: ContextSettings = ContextSettings()
    ) {
        self.title = title
        self.body = body
        self.diff = diff
        self.instructions = instructions
        self.heads = heads
        self.context = context
    }
}

/// Tokens used and what they cost, for the review's footer.
public struct ModelUsage: Codable, Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var costUSD: Double?

    public init(inputTokens: Int = 0, outputTokens: Int = 0, costUSD: Double? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
    }
}

/// A reviewer's answer.
public struct ModelReview: Sendable, Equatable {
    public var findings: [Finding]
    public var summary: String?
    public var usage: ModelUsage
    public var provider: String
    public var model: String
    /// Output that did not validate, reported in the job result rather than posted.
    public var errors: [String]
    /// What the reviewer left out (over its budget), listed in the review body.
    public var notReviewed: [ReviewScope.Skipped]
    /// What the reviewer read with less than it would have liked (the lines around the hunks,
    /// deletions in full), listed in the review body.
    public var reviewedInPart: [ReviewScope.Skipped] = []
    /// One line per file on what changed, for the walkthrough (empty from the rules reviewer).
    public var fileSummaries: [String: String] = [:]

    public init(
        findings: [Finding], summary: String? = nil, usage: ModelUsage = ModelUsage(), provider: String, model: String, errors: [String] = [],
        notReviewed: [ReviewScope.Skipped] = []
    ) {
        self.notReviewed = notReviewed
        self.findings = findings
        self.summary = summary
        self.usage = usage
        self.provider = provider
        self.model = model
        self.errors = errors
    }
}
