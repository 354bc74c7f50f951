import Foundation

/// A repository as the App reaches it: by the installation whose token opens it.
public struct RepositoryRef: Sendable, Hashable, CustomStringConvertible {
    public var owner: String
    public var name: String
    public var installationId: Int

    public init(owner: String, name: String, installationId: Int) {
        self.owner = owner
        self.name = name
        self.installationId = installationId
    }

    /// `owner/name`.
    public var description: String { "\(owner)/\(name)" }
}

/// A pull request of a repository.
public struct PullRequestRef: Sendable, Hashable, CustomStringConvertible {
    public var repository: RepositoryRef
    public var number: Int

    public init(_ repository: RepositoryRef, number: Int) {
        self.repository = repository
        self.number = number
    }

    public init(owner: String, repo: String, number: Int, installationId: Int) {
        self.init(RepositoryRef(owner: owner, name: repo, installationId: installationId), number: number)
    }

    /// `owner/name#number`.
    public var description: String { "\(repository)#\(number)" }

    /// Identifies the pull request across head SHAs in Redis keys (for superseding and cancelling).
    public var key: String { JobID.encode(description) }
}

/// One piece of work on a pull request, as enqueued by `webhook-ingest` and claimed by `review-job`:
/// a review of a head, a command given in a comment, or an answer to a reply in the reviewer's
/// thread. Each kind carries exactly what it needs, so a command without its command, or a review
/// without its head, cannot be made.
public struct ReviewJob: Sendable, Equatable {
    public enum Work: Sendable, Equatable {
        /// Review the pull request at a head (GitHub's pull-request events).
        case review(Review)
        /// Carry out a command given in a comment.
        case command(PRCommand, Comment)
        /// Answer a reply in the review thread that starts with comment `threadRoot`.
        case reply(threadRoot: Int, Comment)

        /// The comment a command or reply answers.
        public var comment: Comment? {
            switch self {
            case .review: nil
            case .command(_, let comment), .reply(_, let comment): comment
            }
        }
    }

    /// A review of one head: the whole pull request, or only what changed since the last head this
    /// App reviewed (`incremental`; the whole pull request when there is none).
    public struct Review: Sendable, Equatable {
        public var head: String
        public var base: String
        public var incremental: Bool

        public init(head: String, base: String, incremental: Bool = false) {
            self.head = head
            self.base = base
            self.incremental = incremental
        }
    }

    /// The comment a command or reply job answers.
    public struct Comment: Sendable, Equatable {
        /// The comment's id: the job's identity, so one comment is one job whatever delivers it.
        public var id: Int
        public var author: String
        /// `author_association` as GitHub sent it (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE…).
        public var association: String
        /// Whether the association may give commands (decided at routing from the configured list).
        public var allowed: Bool
        /// The comment's text, bounded (reply jobs: what to answer; empty for commands).
        public var text: String
        /// Whether the text mentions the App.
        public var mentioned: Bool
        /// A review comment (in the diff) rather than a conversation comment: reactions go elsewhere.
        public var inReviewThread: Bool
        /// When GitHub says the comment was written (ISO 8601): an answer is looked for after it.
        public var createdAt: String?

        public init(
            id: Int, author: String, association: String, allowed: Bool, text: String, mentioned: Bool, inReviewThread: Bool, createdAt: String? = nil
        ) {
            self.id = id
            self.author = author
            self.association = association
            self.allowed = allowed
            self.text = text
            self.mentioned = mentioned
            self.inReviewThread = inReviewThread
            self.createdAt = createdAt
        }
    }

    public var pullRequest: PullRequestRef
    public var work: Work
    public var deliveryId: String
    public var enqueuedAt: Date

    public init(_ pullRequest: PullRequestRef, _ work: Work, deliveryId: String, enqueuedAt: Date) {
        self.pullRequest = pullRequest
        self.work = work
        self.deliveryId = deliveryId
        self.enqueuedAt = enqueuedAt
    }

    public var repository: RepositoryRef { pullRequest.repository }

    /// The head a review job reviews (nil for comment jobs, which read the pull request as it is).
    public var review: Review? {
        if case .review(let review) = work { return review }
        return nil
    }

    /// The comment a command or reply job answers.
    public var comment: Comment? { work.comment }

    /// Whether GitHub's pull-request events started it, not a person's comment.
    public var isAutomatic: Bool { review != nil }

    /// `full`, `incremental`, `command` or `reply`: the kind as stored and shown.
    public var kindName: String {
        switch work {
        case .review(let review): review.incremental ? "incremental" : "full"
        case .command: "command"
        case .reply: "reply"
        }
    }

    /// Deterministic: the same PR at the same head is the same job, whichever delivery announced it;
    /// the same comment is the same job.
    public var id: String {
        switch work {
        case .review(let review): JobID.encode("\(pullRequest)@\(review.head)")
        case .command(_, let comment), .reply(_, let comment): JobID.encode("\(pullRequest)/comment/\(comment.id)")
        }
    }

    /// Identifies the pull request across head SHAs (for superseding and cancelling).
    public var pullRequestKey: String { pullRequest.key }

    public func encoded() -> Data {
        // Encoding strings, ints and a date cannot fail.
        (try? Self.encoder.encode(self)) ?? Data()
    }

    /// Reads a stored or posted job, naming what is missing or wrong.
    public static func decode(_ data: Data) throws(ReviewError) -> ReviewJob {
        do {
            return try decoder.decode(ReviewJob.self, from: data)
        } catch {
            throw .badInput("job is not a valid review job (\(DecodingFailure.describe(error)))")
        }
    }

    public static var encoder: JSONEncoder { .iso }
    public static var decoder: JSONDecoder { .iso }
}

/// The stored form, unchanged from before the kinds became types so that queued jobs still run and
/// a job reads the same in Redis: one flat object with `kind`; comment jobs store an empty
/// `headSha`/`baseSha`, and the command or thread root inside `comment`. Old fields a job no longer
/// needs (`before`, `after`) are ignored.
extension ReviewJob: Codable {
    private enum Key: String, CodingKey {
        case owner, repo, prNumber, installationId, headSha, baseSha, kind, deliveryId, enqueuedAt, comment
    }

    /// The stored comment: its fields, and the command or thread root of its job.
    private struct StoredComment: Codable {
        var id: Int
        var author: String
        var association: String
        var allowed: Bool
        var command: PRCommand?
        var text: String
        var threadRoot: Int?
        var mentioned: Bool
        var inReviewThread: Bool
        var createdAt: String?

        var comment: Comment {
            Comment(
                id: id, author: author, association: association, allowed: allowed, text: text, mentioned: mentioned, inReviewThread: inReviewThread,
                createdAt: createdAt)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        pullRequest = PullRequestRef(
            owner: try container.decode(String.self, forKey: .owner), repo: try container.decode(String.self, forKey: .repo),
            number: try container.decode(Int.self, forKey: .prNumber), installationId: try container.decode(Int.self, forKey: .installationId))
        deliveryId = try container.decode(String.self, forKey: .deliveryId)
        enqueuedAt = try container.decode(Date.self, forKey: .enqueuedAt)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "full", "incremental":
            work = .review(
                Review(
                    head: try container.decode(String.self, forKey: .headSha), base: try container.decode(String.self, forKey: .baseSha),
                    incremental: kind == "incremental"))
        case "command":
            let stored = try container.decode(StoredComment.self, forKey: .comment)
            guard let command = stored.command else {
                throw DecodingError.dataCorruptedError(forKey: .comment, in: container, debugDescription: "a command job's comment must carry its command")
            }
            work = .command(command, stored.comment)
        case "reply":
            let stored = try container.decode(StoredComment.self, forKey: .comment)
            guard let root = stored.threadRoot else {
                throw DecodingError.dataCorruptedError(forKey: .comment, in: container, debugDescription: "a reply job's comment must name its thread")
            }
            work = .reply(threadRoot: root, stored.comment)
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "must be full, incremental, command or reply")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(repository.owner, forKey: .owner)
        try container.encode(repository.name, forKey: .repo)
        try container.encode(pullRequest.number, forKey: .prNumber)
        try container.encode(repository.installationId, forKey: .installationId)
        try container.encode(review?.head ?? "", forKey: .headSha)
        try container.encode(review?.base ?? "", forKey: .baseSha)
        try container.encode(kindName, forKey: .kind)
        try container.encode(deliveryId, forKey: .deliveryId)
        try container.encode(enqueuedAt, forKey: .enqueuedAt)
        let stored: (Comment, PRCommand?, Int?)? =
            switch work {
            case .review: nil
            case .command(let command, let comment): (comment, command, nil)
            case .reply(let root, let comment): (comment, nil, root)
            }
        if let (comment, command, root) = stored {
            try container.encode(
                StoredComment(
                    id: comment.id, author: comment.author, association: comment.association, allowed: comment.allowed, command: command,
                    text: comment.text, threadRoot: root, mentioned: comment.mentioned, inReviewThread: comment.inReviewThread,
                    createdAt: comment.createdAt), forKey: .comment)
        }
    }
}

/// Job and pull-request identifiers made safe for Redis keys and URLs: letters, digits, `.`, `_`, `-`
/// stay, everything else is percent-encoded (so `|`, the lease separator, never appears).
public enum JobID {
    /// A job id made safe for Redis keys and URLs (percent-encoded).
    public static func encode(_ raw: String) -> String {
        var out = ""
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// The readable form of an encoded job id.
    public static func decode(_ id: String) -> String { id.removingPercentEncoding ?? id }
}

/// Describes a `DecodingError` by the path of the field at fault.
public enum DecodingFailure {
    /// A decoding error as one sentence naming the field.
    public static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "document" : path
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field \(parent == "document" ? key.stringValue : parent + "." + key.stringValue)"
        case DecodingError.typeMismatch(let type, let context):
            return "field \(path(context)) must be \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return "field \(path(context)) must be \(type), found null"
        case DecodingError.dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        default:
            return "unreadable"
        }
    }
}
