import Foundation

/// One pull-request review to do, as enqueued by `webhook-ingest` and claimed by `review-job`.
public struct ReviewJob: Codable, Sendable, Equatable {
    /// `full` reviews the whole pull request; `incremental` only what a push changed.
    public enum Kind: String, Codable, Sendable {
        /// Review the whole pull-request diff.
        case full
        /// Review only what changed between `before` and `after` (a push to the PR branch).
        case incremental
        /// Carry out a command from a pull-request comment (`comment` says which).
        case command
        /// Answer a reply in one of the reviewer's review threads (`comment` holds it).
        case reply

        /// Whether GitHub's pull-request events started it (`full`, `incremental`), not a person's comment.
        public var isAutomatic: Bool { self == .full || self == .incremental }
    }

    /// The comment a `command` or `reply` job answers.
    public struct Comment: Codable, Sendable, Equatable {
        /// The comment's id: the job's identity, so one comment is one job whatever delivers it.
        public var id: Int
        public var author: String
        /// `author_association` as GitHub sent it (OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, NONE…).
        public var association: String
        /// Whether the association may give commands (decided at routing from the configured list).
        public var allowed: Bool
        /// The command read from the text (`command` jobs).
        public var command: PRCommand?
        /// The comment's text, bounded (`reply` jobs: what to answer).
        public var text: String
        /// The thread's first comment (`reply` jobs): the one GitHub takes replies on.
        public var threadRoot: Int?
        /// Whether the text mentions the App.
        public var mentioned: Bool
        /// A review comment (in the diff) rather than a conversation comment: reactions go elsewhere.
        public var inReviewThread: Bool
        /// When GitHub says the comment was written (ISO 8601): an answer is looked for after it.
        public var createdAt: String?

        public init(
            id: Int, author: String, association: String, allowed: Bool, command: PRCommand?, text: String, threadRoot: Int? = nil,
            mentioned: Bool, inReviewThread: Bool
        ) {
            self.id = id
            self.author = author
            self.association = association
            self.allowed = allowed
            self.command = command
            self.text = text
            self.threadRoot = threadRoot
            self.mentioned = mentioned
            self.inReviewThread = inReviewThread
        }
    }

    public var owner: String
    public var repo: String
    public var prNumber: Int
    public var installationId: Int
    public var headSha: String
    public var baseSha: String
    public var kind: Kind
    public var before: String?
    public var after: String?
    public var deliveryId: String
    public var enqueuedAt: Date
    /// For `command` and `reply` jobs: the comment to answer.
    public var comment: Comment?

    public init(
        owner: String, repo: String, prNumber: Int, installationId: Int, headSha: String, baseSha: String,
        kind: Kind, before: String? = nil, after: String? = nil, deliveryId: String, enqueuedAt: Date, comment: Comment? = nil
    ) {
        self.owner = owner
        self.repo = repo
        self.prNumber = prNumber
        self.installationId = installationId
        self.headSha = headSha
        self.baseSha = baseSha
        self.kind = kind
        self.before = before
        self.after = after
        self.deliveryId = deliveryId
        self.enqueuedAt = enqueuedAt
        self.comment = comment
    }

    /// Deterministic: the same PR at the same head is the same job, whichever delivery announced it;
    /// the same comment is the same job.
    public var id: String {
        if let comment { return JobID.encode("\(owner)/\(repo)#\(prNumber)/comment/\(comment.id)") }
        return JobID.encode("\(owner)/\(repo)#\(prNumber)@\(headSha)")
    }

    /// Identifies the pull request across head SHAs (for superseding and cancelling).
    public var pullRequestKey: String { JobID.encode("\(owner)/\(repo)#\(prNumber)") }

    public func encoded() -> Data {
        // Encoding a struct of strings, ints and a date cannot fail.
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
