import Foundation
import ReviewCore

/// A reviewer that reads a diff and reports findings: a hosted or local model, or the built-in rules.
public protocol ReviewModel: Sendable {
    func review(_ input: ReviewInput) async throws -> ModelReview
}

/// The built-in rules reviewer as a `ReviewModel`: no network, no key, no cost.
public struct RulesModel: ReviewModel {
    public init() {}

    public func review(_ input: ReviewInput) async throws -> ModelReview {
        ModelReview(findings: RulesReviewer().review(input.diff), provider: "rules", model: "built-in rules")
    }
}
