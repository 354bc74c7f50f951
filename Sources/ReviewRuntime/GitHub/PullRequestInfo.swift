import Foundation
import ReviewCore

/// The parts of a pull request a review needs.
public struct PullRequestInfo: Sendable, Equatable {
    public var number: Int
    public var state: String
    public var title: String
    public var body: String
    public var draft: Bool
    public var headSha: String
    public var baseSha: String
    public var baseRef: String
    public var labels: [String] = []
    /// How many files the pull request changes, as GitHub counts them (`changed_files`).
    public var changedFiles: Int = 0
}
