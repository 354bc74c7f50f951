import Foundation
import ReviewCore

extension GitHubStandIn {
    /// Who wrote something: a user or an App's bot account.
    struct Author: Sendable, Equatable {
        var login: String
        var type: String
        var id: Int?

        /// What the App posts is written by its bot account.
        static let bot = Author(login: "\(GitHubStandIn.appSlug)[bot]", type: "Bot", id: 9_000_001)

        var json: [String: Any] { id.map { ["login": login, "type": type, "id": $0] } ?? ["login": login, "type": type] }
    }

    /// A conversation comment, a review comment or another author's review, as the stand-in keeps
    /// it; `json` renders it as GitHub's REST API does (only the fields it has).
    struct Comment: Sendable {
        var id: Int
        var body: String
        /// nil: a deleted account (GitHub sends `"user": null`).
        var author: Author?
        var association = "NONE"
        /// `performed_via_github_app`: the App that wrote it, by id and slug.
        var app: (id: Int, slug: String)?
        var createdAt: String?
        var updatedAt: String?
        /// Review comments: the file and line, the thread's first comment, the review it belongs to.
        var path: String?
        var line: Int?
        var inReplyTo: Int?
        var reviewId: Int?
        var diffHunk: String?
        /// Reviews and review comments: the commit (`.some(nil)`: a commit that is gone, sent as null).
        var commitId: String??
        /// Reviews: their state.
        var state: String?

        init(id: Int, body: String, author: Author?, association: String = "NONE", app: (id: Int, slug: String)? = nil) {
            self.id = id
            self.body = body
            self.author = author
            self.association = association
            self.app = app
        }

        /// What the App writes: its bot, through the App.
        static func ours(id: Int, body: String) -> Comment {
            Comment(id: id, body: body, author: .bot, app: (GitHubStandIn.appId, GitHubStandIn.appSlug))
        }

        var json: [String: Any] {
            var fields: [String: Any] = ["id": id, "body": body, "user": author?.json ?? NSNull(), "author_association": association]
            if let app { fields["performed_via_github_app"] = ["id": app.id, "slug": app.slug] }
            if let createdAt { fields["created_at"] = createdAt }
            if let updatedAt { fields["updated_at"] = updatedAt }
            if let path { fields["path"] = path }
            if let line { fields["line"] = line }
            if let inReplyTo { fields["in_reply_to_id"] = inReplyTo }
            if let reviewId { fields["pull_request_review_id"] = reviewId }
            if let diffHunk { fields["diff_hunk"] = diffHunk }
            if let commitId { fields["commit_id"] = commitId ?? NSNull() }
            if let state { fields["state"] = state }
            return fields
        }
    }

    /// A check run as the stand-in keeps it.
    struct CheckRun: Sendable {
        struct Output: Sendable {
            var title: String
            var summary: String
            var text: String?
        }

        var id = 0
        var repository: String
        var name: String
        var headSha: String
        var status = "queued"
        var conclusion: String?
        var externalId: String?
        var output: Output?
        /// The App that made it (only it may update it).
        var appSlug = GitHubStandIn.appSlug

        var json: [String: Any] {
            var fields: [String: Any] = [
                "id": id, "name": name, "head_sha": headSha, "status": status, "app": ["id": GitHubStandIn.appId, "slug": appSlug],
            ]
            if let conclusion { fields["conclusion"] = conclusion }
            if let externalId { fields["external_id"] = externalId }
            if let output {
                fields["output"] = ["title": output.title, "summary": output.summary, "text": output.text.map { $0 as Any } ?? NSNull()] as [String: Any]
            }
            return fields
        }
    }
}

extension JSONValue {
    /// The value as JSONSerialization takes it, for answers built from recorded data.
    var foundation: Any {
        switch self {
        case .null: NSNull()
        case .bool(let flag): flag
        case .number(let number): number.rounded() == number && abs(number) < 1e15 ? Int(number) as Any : number
        case .string(let text): text
        case .array(let items): items.map(\.foundation)
        case .object(let fields): fields.mapValues(\.foundation)
        }
    }
}
