import Foundation
import ReviewCore

/// A reviewer that reads a diff and reports findings: a hosted or local model, or the built-in rules.
public protocol ReviewModel: Sendable {
    func review(_ input: ReviewInput) async throws -> ModelReview
    /// Answers a question about a pull request; nil when this reviewer cannot (the rules).
    func answer(_ question: QuestionInput) async throws -> ModelAnswer?
    /// How many prompt tokens this reviewer could spend in all on a review: the head files read for
    /// the lines around the hunks stop there (0: it reads no context, like the rules).
    var contextBudgetTokens: Int { get }
}

extension ReviewModel {
    /// By default a reviewer answers no questions.
    public func answer(_ question: QuestionInput) async throws -> ModelAnswer? { nil }
    public var contextBudgetTokens: Int { 0 }
}

/// A question about a pull request: `ask`, or a reply in one of the reviewer's threads.
public struct QuestionInput: Sendable {
    public var question: String
    /// The thread so far (oldest first), for a reply.
    public var thread: [AnswerPrompt.Message]
    /// The diff around the thread's line, for a reply.
    public var code: String?
    public var title: String
    public var body: String
    public var diff: UnifiedDiff

    public init(question: String, thread: [AnswerPrompt.Message] = [], code: String? = nil, title: String, body: String, diff: UnifiedDiff) {
        self.question = question
        self.thread = thread
        self.code = code
        self.title = title
        self.body = body
        self.diff = diff
    }
}

/// A model's answer to a question, with what it cost.
public struct ModelAnswer: Sendable, Equatable {
    public var text: String
    public var usage: ModelUsage
    public var provider: String
    public var model: String
}
