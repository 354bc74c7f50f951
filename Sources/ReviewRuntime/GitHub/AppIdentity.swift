import Foundation
import ReviewCore

/// Who this GitHub App is on GitHub. Only text its bot account (`<slug>[bot]`) wrote, or that
/// GitHub says it posted (`performed_via_github_app.id`), can carry our markers: anything another
/// user or another App writes is read as untrusted text, never as our own work.
public struct AppIdentity: Sendable, Equatable {
    public var slug: String
    public var id: Int?

    public init(slug: String, id: Int? = nil) {
        self.slug = slug
        self.id = id
    }

    /// The login of the App's bot account.
    public var botLogin: String { "\(slug)[bot]" }

    /// Whether this App wrote `item`.
    public func wrote(_ item: PostedItem) -> Bool {
        if let id, let appId = item.appId { return appId == id }
        return item.authorType == "Bot" && item.author?.lowercased() == botLogin.lowercased()
    }
}

/// A review or review comment already on the pull request, with who wrote it.
public struct PostedItem: Sendable, Equatable {
    public var id: Int
    public var body: String
    public var commitId: String?
    /// `user.login` (nil for a deleted account: GitHub then sends `user: null`).
    public var author: String?
    /// `user.type`: `User`, `Bot`, `Organization`.
    public var authorType: String?
    /// `performed_via_github_app.id`, where GitHub reports it.
    public var appId: Int?
    /// For a review comment: the thread's first comment when this one is a reply.
    public var inReplyTo: Int?
    /// For a review comment: the file and line it is on, and the diff around it.
    public var path: String?
    public var line: Int?
    public var diffHunk: String?

    public init(id: Int, body: String, commitId: String? = nil, author: String?, authorType: String?, appId: Int? = nil) {
        self.id = id
        self.body = body
        self.commitId = commitId
        self.author = author
        self.authorType = authorType
        self.appId = appId
    }

    /// Reads one item of a GitHub list or object answer (review, review comment, issue comment).
    public init(_ entry: JSONValue) {
        let reader = JSONFieldReader(entry)
        self.init(
            id: (try? reader.int("id")) ?? 0, body: (try? reader.optionalString("body")) ?? "", commitId: try? reader.optionalString("commit_id"),
            author: try? reader.optionalString("user.login"), authorType: try? reader.optionalString("user.type"),
            appId: try? reader.int("performed_via_github_app.id")
        )
        inReplyTo = try? reader.int("in_reply_to_id")
        path = try? reader.optionalString("path")
        line = try? reader.int("line")
        diffHunk = try? reader.optionalString("diff_hunk")
    }
}
