import Foundation
import ReviewCore

/// A reviewer that reads a diff and reports findings: a hosted or local model, or the built-in rules.
public protocol ReviewModel: Sendable {
    func review(_ input: ReviewInput) async throws -> ModelReview
}
