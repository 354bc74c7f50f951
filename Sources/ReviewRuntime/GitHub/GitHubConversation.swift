import Foundation
import ReviewCore

/// The conversation calls: issue comments on the pull request (the walkthrough, answers to
/// commands), replies in review threads, and reactions.
extension GitHubClient {
    /// The pull request's conversation comments (every page).
    /// The pull request's conversation comments (every page); with `since` (ISO 8601), only those
    /// updated at or after it — an answer to a comment is newer than it, so checking for one
    /// reads what came after the comment, not the whole conversation.
    public func issueComments(_ job: ReviewJob, since: String? = nil) async throws -> [PostedItem] {
        let path = "repos/\(job.owner)/\(job.repo)/issues/\(job.prNumber)/comments"
        guard let since else { return try await pages(job, path, what: "listing the pull request's comments") }
        let first = GitHubAPI.url(apiURL, path.split(separator: "/").map(String.init), query: [("per_page", "100"), ("since", since)])
        return try await pages(job, path, what: "listing the pull request's newer comments", from: first)
    }

    /// Posts a conversation comment; returns its id.
    @discardableResult
    public func createIssueComment(_ job: ReviewJob, body: String) async throws -> Int {
        let response = try await send(
            job, "POST", "repos/\(job.owner)/\(job.repo)/issues/\(job.prNumber)/comments", body: try Self.body(["body": .string(body)]),
            what: "posting a comment")
        return Self.id(response)
    }

    /// Replaces the text of a conversation comment.
    public func updateIssueComment(_ job: ReviewJob, id: Int, body: String) async throws {
        _ = try await send(
            job, "PATCH", "repos/\(job.owner)/\(job.repo)/issues/comments/\(id)", body: try Self.body(["body": .string(body)]),
            what: "editing comment \(id)")
    }

    /// One review comment, or nil when it does not exist (deleted).
    public func reviewComment(_ job: ReviewJob, id: Int) async throws -> PostedItem? {
        do {
            let response = try await send(job, "GET", "repos/\(job.owner)/\(job.repo)/pulls/comments/\(id)", what: "reading review comment \(id)")
            return PostedItem(try JSONValue.parse(response.body, what: "review comment"))
        } catch let error as ReviewError where error.code == .githubNotFound {
            return nil
        }
    }

    /// Replies in the review thread that starts with comment `root`; returns the reply's id.
    @discardableResult
    public func replyInThread(_ job: ReviewJob, root: Int, body: String) async throws -> Int {
        let response = try await send(
            job, "POST", "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)/comments/\(root)/replies", body: try Self.body(["body": .string(body)]),
            what: "replying in thread \(root)")
        return Self.id(response)
    }

    /// Adds a reaction (`eyes`: "heard") to a conversation or review comment.
    public func react(_ job: ReviewJob, to commentId: Int, inReviewThread: Bool, content: String) async throws {
        let kind = inReviewThread ? "pulls" : "issues"
        _ = try await send(
            job, "POST", "repos/\(job.owner)/\(job.repo)/\(kind)/comments/\(commentId)/reactions", body: try Self.body(["content": .string(content)]),
            what: "reacting to comment \(commentId)")
    }

    /// Whether `user` may write to the job's repository: GitHub's role for them (`GET
    /// /repos/{owner}/{repo}/collaborators/{username}/permission`: admin, maintain or write may;
    /// triage, read or none may not; a login GitHub does not know may not).
    public func mayWrite(_ job: ReviewJob, user: String) async throws -> Bool {
        let url = GitHubAPI.url(apiURL, ["repos", job.owner, job.repo, "collaborators", user, "permission"])
        do {
            let json = try JSONValue.parse(try await send(job, "GET", url: url, what: "reading \(user)'s permission").body, what: "permission")
            let role = json["role_name"]?.stringValue ?? json["permission"]?.stringValue ?? "none"
            return ["admin", "maintain", "write"].contains(role)
        } catch let error as ReviewError where error.code == .githubNotFound {
            return false
        }
    }

    static func body(_ fields: [String: JSONValue]) throws -> Data { try JSONEncoder.iso.encode(JSONValue.object(fields)) }

    static func id(_ response: HTTPResponse) -> Int {
        (try? JSONValue.parse(response.body))?["id"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 0
    }
}
