import Foundation
import ReviewCore

/// GitHub's REST API for one installation (`GITHUB_API_URL`, default https://api.github.com, also
/// GitHub Enterprise Server's `https://HOST/api/v3`).
public struct GitHubClient: Sendable {
    public let apiURL: URL
    public let transport: any HTTPTransport
    public let tokens: InstallationTokens
    public var now: @Sendable () -> Date = Date.init

    public init(apiURL: URL, transport: any HTTPTransport, tokens: InstallationTokens) {
        self.apiURL = apiURL
        self.transport = transport
        self.tokens = tokens
    }

    static func headers(authorization: String, accept: String = "application/vnd.github+json") -> [String: String] {
        ["accept": accept, "x-github-api-version": "2022-11-28", "authorization": authorization, "user-agent": "pr-review", "content-type": "application/json"]
    }

    public func pullRequest(_ job: ReviewJob) async throws -> PullRequestInfo {
        let response = try await send(job, "GET", "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)", what: "reading the pull request")
        let json = JSONFieldReader(try JSONValue.parse(response.body, what: "pull request"))
        return PullRequestInfo(
            number: try json.int("number"), state: try json.string("state"), title: try json.optionalString("title") ?? "",
            body: try json.optionalString("body") ?? "", draft: try json.bool("draft", default: false),
            headSha: try json.string("head.sha"), baseSha: try json.string("base.sha"), baseRef: try json.optionalString("base.ref") ?? "",
            labels: { if case .array(let items)? = json.value(at: "labels") { items.compactMap { $0["name"]?.stringValue } } else { [] } }()
        )
    }

    /// The pull request's diff; when GitHub says it is too large (406), rebuilt from the paginated
    /// file list, where files without a `patch` are named as not reviewed.
    public func diff(_ job: ReviewJob) async throws -> (diff: UnifiedDiff, notReviewed: [String]) {
        let path = "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)"
        do {
            let response = try await send(job, "GET", path, accept: "application/vnd.github.diff", what: "reading the diff")
            return (DiffParser.parse(String(decoding: response.body, as: UTF8.self)), [])
        } catch let error as ReviewError where error.code == .githubTooLarge {
            return try await diffFromFiles(job)
        }
    }

    private func diffFromFiles(_ job: ReviewJob) async throws -> (diff: UnifiedDiff, notReviewed: [String]) {
        struct Entry: Decodable { let filename: String; let status: String; let patch: String?; let previous_filename: String? }
        var files: [DiffFile] = []
        var notReviewed: [String] = []
        var next: URL? = apiURL.appendingPathComponent("repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)/files")
        next = next.map { URL(string: $0.absoluteString + "?per_page=100")! }
        while let url = next {
            let response = try await send(job, "GET", url: url, what: "listing the changed files")
            guard let entries = try? JSONDecoder().decode([Entry].self, from: response.body) else {
                throw ReviewError(.githubProtocol, "the file list is not an array of files")
            }
            for entry in entries {
                guard let patch = entry.patch else {
                    notReviewed.append(entry.filename)
                    continue
                }
                let status: DiffFile.Status = switch entry.status {
                case "added": .added
                case "removed": .removed
                case "renamed": .renamed
                case "copied": .copied
                default: .modified
                }
                files.append(DiffFile(
                    oldPath: status == .added ? nil : (entry.previous_filename ?? entry.filename),
                    newPath: status == .removed ? nil : entry.filename, status: status, hunks: DiffParser.parseHunks(patch)
                ))
            }
            next = Self.nextPage(response.header("link"))
        }
        return (UnifiedDiff(files: files), notReviewed)
    }

    /// What changed between two commits, or nil when they diverged (a force push): review in full then.
    public func compare(_ job: ReviewJob, base: String, head: String) async throws -> UnifiedDiff? {
        let response = try await send(job, "GET", "repos/\(job.owner)/\(job.repo)/compare/\(base)...\(head)", what: "comparing commits")
        let json = try JSONValue.parse(response.body, what: "comparison")
        guard json["status"]?.stringValue == "ahead" || json["status"]?.stringValue == "identical" else { return nil }
        guard case .array(let entries)? = json["files"] else { return UnifiedDiff(files: []) }
        return UnifiedDiff(files: entries.compactMap { entry in
            guard let name = entry["filename"]?.stringValue, let patch = entry["patch"]?.stringValue else { return nil }
            return DiffFile(oldPath: entry["previous_filename"]?.stringValue ?? name, newPath: name, status: .modified, hunks: DiffParser.parseHunks(patch))
        })
    }

    /// A file at a ref (the repository's config on the base branch), or nil when it does not exist.
    public func fileContents(_ job: ReviewJob, path: String, ref: String) async throws -> Data? {
        do {
            let encodedRef = ref.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? ref
            let url = URL(string: apiURL.appendingPathComponent("repos/\(job.owner)/\(job.repo)/contents/\(path)").absoluteString + "?ref=\(encodedRef)")!
            return try await send(job, "GET", url: url, accept: "application/vnd.github.raw+json", what: "reading \(path)").body
        } catch let error as ReviewError where error.code == .githubNotFound {
            return nil
        }
    }

    /// Review comments on the pull request (every page).
    public func reviewComments(_ job: ReviewJob) async throws -> [PostedItem] {
        try await pages(job, "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)/comments", what: "listing review comments")
    }

    /// Reviews on the pull request (every page).
    public func reviews(_ job: ReviewJob) async throws -> [PostedItem] {
        try await pages(job, "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)/reviews", what: "listing reviews")
    }

    /// Posts one review; returns its id.
    public func createReview(_ job: ReviewJob, _ review: ReviewSubmission) async throws -> Int {
        let response = try await send(
            job, "POST", "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)/reviews", body: try JSONEncoder.iso.encode(review), what: "posting the review"
        )
        return (try? JSONValue.parse(response.body))?["id"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } } ?? 0
    }

    private func pages(_ job: ReviewJob, _ path: String, what: String) async throws -> [PostedItem] {
        var items: [PostedItem] = []
        var next: URL? = URL(string: apiURL.appendingPathComponent(path).absoluteString + "?per_page=100")
        while let url = next {
            let response = try await send(job, "GET", url: url, what: what)
            guard case .array(let entries) = try JSONValue.parse(response.body, what: what) else { break }
            for entry in entries {
                let reader = JSONFieldReader(entry)
                items.append(PostedItem(
                    id: (try? reader.int("id")) ?? 0, body: (try? reader.optionalString("body")) ?? "",
                    commitId: try? reader.optionalString("commit_id"), author: try? reader.optionalString("user.login"),
                    authorType: try? reader.optionalString("user.type"), appId: try? reader.int("performed_via_github_app.id")
                ))
            }
            next = Self.nextPage(response.header("link"))
        }
        return items
    }

    private func send(_ job: ReviewJob, _ method: String, _ path: String, accept: String = "application/vnd.github+json", body: Data = Data(), what: String) async throws -> HTTPResponse {
        try await send(job, method, url: apiURL.appendingPathComponent(path), accept: accept, body: body, what: what)
    }

    /// One authenticated call; a 401 mints a fresh token and tries once more.
    private func send(_ job: ReviewJob, _ method: String, url: URL, accept: String = "application/vnd.github+json", body: Data = Data(), what: String) async throws -> HTTPResponse {
        let repository = "\(job.owner)/\(job.repo)"
        for attempt in 0..<2 {
            let token = try await tokens.token(installationId: job.installationId, repository: repository)
            let response: HTTPResponse
            do {
                response = try await transport.send(HTTPRequest(method: method, url: url, headers: Self.headers(authorization: "Bearer \(token)", accept: accept), body: body))
            } catch let error as ReviewError {
                throw ReviewError(.githubUnreachable, "GitHub unreachable while \(what): \(error.message)")
            }
            if response.status == 401, attempt == 0 {
                await tokens.invalidate(installationId: job.installationId, repository: repository)
                continue
            }
            guard (200..<300).contains(response.status) else { throw Self.error(for: response, what: what, now: now()) }
            return response
        }
        throw ReviewError(.githubUnauthorized, "GitHub refused a freshly minted token while \(what)")
    }

    /// GitHub's error answers as `ReviewError`s: rate limits and 5xx are retryable (with the delay
    /// GitHub asked for), the rest are not.
    static func error(for response: HTTPResponse, what: String, now: Date) -> ReviewError {
        let answer = try? JSONValue.parse(response.body)
        let message = answer?["message"]?.stringValue ?? ""
        // GitHub's `errors` say what exactly was refused: strings, or objects with a message or a code.
        let reasons = (answer?["errors"]?.arrayValue ?? []).compactMap { item in
            item.stringValue ?? item["message"]?.stringValue ?? [item["field"]?.stringValue, item["code"]?.stringValue].compactMap(\.self).joined(separator: " ")
        }.filter { !$0.isEmpty }
        let said = ([message] + reasons).filter { !$0.isEmpty }.joined(separator: "; ")
        let detail = "GitHub answered \(response.status) while \(what)" + (said.isEmpty ? "" : ": \(said.prefix(300))")
        if let limit = rateLimitDelay(response, message: message, now: now) {
            return ReviewError(.githubRateLimited, detail, retryAfter: limit)
        }
        switch response.status {
        case 401: return ReviewError(.githubUnauthorized, detail)
        case 403: return ReviewError(.githubForbidden, detail)
        case 404: return ReviewError(.githubNotFound, detail)
        case 406 where String(decoding: response.body, as: UTF8.self).contains("too_large"):
            return ReviewError(.githubTooLarge, detail)
        case 422: return ReviewError(.githubUnprocessable, detail)
        case 500...599: return ReviewError(.githubUnavailable, detail)
        default: return ReviewError(.githubError, detail)
        }
    }

    /// `retry-after`, else `x-ratelimit-remaining: 0` until `x-ratelimit-reset`, else at least 60 s
    /// for a secondary limit; nil when the answer is not a rate limit.
    static func rateLimitDelay(_ response: HTTPResponse, message: String, now: Date) -> TimeInterval? {
        guard response.status == 403 || response.status == 429 else { return nil }
        if let seconds = response.header("retry-after").flatMap(TimeInterval.init) { return max(1, seconds) }
        if response.header("x-ratelimit-remaining") == "0", let reset = response.header("x-ratelimit-reset").flatMap(TimeInterval.init) {
            return max(1, reset - now.timeIntervalSince1970)
        }
        if response.status == 429 || message.lowercased().contains("rate limit") { return 60 }
        return nil
    }

    /// The `rel="next"` URL of a `Link` header.
    static func nextPage(_ link: String?) -> URL? {
        guard let link else { return nil }
        for part in link.split(separator: ",") where part.contains("rel=\"next\"") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">") else { continue }
            return URL(string: String(part[part.index(after: open)..<close]))
        }
        return nil
    }
}

/// The body of `POST /pulls/{n}/reviews`. `event` is always COMMENT: the bot never approves or
/// requests changes.
public struct ReviewSubmission: Codable, Sendable, Equatable {
    public var commitId: String
    public var body: String
    public var event = "COMMENT"
    public var comments: [ReviewComment]

    public init(commitId: String, body: String, comments: [ReviewComment]) {
        self.commitId = commitId
        self.body = body
        self.comments = comments
    }

    enum CodingKeys: String, CodingKey {
        case body, event, comments
        case commitId = "commit_id"
    }
}
