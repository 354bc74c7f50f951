import Foundation
import ReviewCore

/// The built-in rules reviewer as a `ReviewModel`: no network, no key, no cost.
public struct RulesModel: ReviewModel {
    public init() {}

    /// Runs the built-in rules over the diff: no network, no cost.
    public func review(_ input: ReviewInput) async throws -> ModelReview {
        ModelReview(findings: RulesReviewer().review(input.diff), provider: "rules", model: "built-in rules")
    }
}
