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
}

/// One item of a GitHub list or object answer (review, review comment, issue comment).
extension PostedItem: Decodable {
    private enum Key: String, CodingKey {
        case id, body, user, path, line
        case commitId = "commit_id"
        case app = "performed_via_github_app"
        case inReplyTo = "in_reply_to_id"
        case diffHunk = "diff_hunk"
    }
    private struct User: Decodable {
        let login: String?
        let type: String?
    }
    private struct App: Decodable { let id: Int? }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let user = try container.decodeIfPresent(User.self, forKey: .user)
        self.init(
            id: try container.decode(Int.self, forKey: .id), body: try container.decodeIfPresent(String.self, forKey: .body) ?? "",
            commitId: try container.decodeIfPresent(String.self, forKey: .commitId), author: user?.login, authorType: user?.type,
            appId: try container.decodeIfPresent(App.self, forKey: .app)?.id)
        inReplyTo = try container.decodeIfPresent(Int.self, forKey: .inReplyTo)
        path = try container.decodeIfPresent(String.self, forKey: .path)
        line = try container.decodeIfPresent(Int.self, forKey: .line)
        diffHunk = try container.decodeIfPresent(String.self, forKey: .diffHunk)
    }
}
