import Foundation
import ReviewCore

/// The conversation calls: issue comments on the pull request (the walkthrough, answers to
/// commands), replies in review threads, and reactions.
extension GitHubClient {
    /// The pull request's conversation comments (every page); with `since` (ISO 8601), only those
    /// updated at or after it — an answer to a comment is newer than it, so checking for one
    /// reads what came after the comment, not the whole conversation.
    public func issueComments(_ pr: PullRequestRef, since: String? = nil) async throws -> [PostedItem] {
        try await pages(
            PostedItem.self, pr.repository, ["issues", "\(pr.number)", "comments"], query: since.map { [("since", $0)] } ?? [],
            what: since == nil ? "listing the pull request's comments" : "listing the pull request's newer comments")
    }

    /// Posts a conversation comment; returns its id.
    @discardableResult
    public func createIssueComment(_ pr: PullRequestRef, body: String) async throws -> Int {
        try await write("POST", pr.repository, ["issues", "\(pr.number)", "comments"], ["body": body], what: "posting a comment")
    }

    /// Replaces the text of a conversation comment.
    public func updateIssueComment(_ repository: RepositoryRef, id: Int, body: String) async throws {
        try await write("PATCH", repository, ["issues", "comments", "\(id)"], ["body": body], what: "editing comment \(id)")
    }

    /// One review comment, or nil when it does not exist (deleted).
    public func reviewComment(_ repository: RepositoryRef, id: Int) async throws -> PostedItem? {
        do {
            return try await get(PostedItem.self, repository, ["pulls", "comments", "\(id)"], what: "reading review comment \(id)")
        } catch let error as ReviewError where error.code == .githubNotFound {
            return nil
        }
    }

    /// Replies in the review thread that starts with comment `root`; returns the reply's id.
    @discardableResult
    public func replyInThread(_ pr: PullRequestRef, root: Int, body: String) async throws -> Int {
        try await write("POST", pr.repository, ["pulls", "\(pr.number)", "comments", "\(root)", "replies"], ["body": body], what: "replying in thread \(root)")
    }

    /// Adds a reaction (`eyes`: "heard") to a conversation or review comment.
    public func react(_ repository: RepositoryRef, to commentId: Int, inReviewThread: Bool, content: String) async throws {
        try await write(
            "POST", repository, [inReviewThread ? "pulls" : "issues", "comments", "\(commentId)", "reactions"], ["content": content],
            what: "reacting to comment \(commentId)")
    }

    /// Whether `user` may write to the repository: GitHub's role for them (`GET
    /// /repos/{owner}/{repo}/collaborators/{username}/permission`: admin, maintain or write may;
    /// triage, read or none may not; a login GitHub does not know may not).
    public func mayWrite(_ repository: RepositoryRef, user: String) async throws -> Bool {
        struct Permission: Decodable {
            let role_name: String?
            let permission: String?
        }
        do {
            let answer = try await get(Permission.self, repository, ["collaborators", user, "permission"], what: "reading \(user)'s permission")
            return ["admin", "maintain", "write"].contains(answer.role_name ?? answer.permission ?? "none")
        } catch let error as ReviewError where error.code == .githubNotFound {
            return false
        }
    }
}
