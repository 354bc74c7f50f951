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

    /// Where the repository's `.github/prreview.yml` is read: the base branch (never the head, so a
    /// pull request cannot rewrite its own rules), or the base commit when GitHub names no branch.
    public var configRef: String { baseRef.isEmpty ? baseSha : baseRef }
}

/// A file as the contents API gave it, within the size asked for.
public enum FileContents: Sendable, Equatable {
    case file(Data)
    /// Over the size asked for, or past the 1 MB GitHub sends content for (`bytes`: its size, when said).
    case tooLarge(bytes: Int?)
    /// A directory, a symlink or a submodule.
    case notAFile
}
