import Foundation
import ReviewCore

/// GitHub's REST API as an App installation reaches it (`GITHUB_API_URL`, default
/// https://api.github.com, also GitHub Enterprise Server's `https://HOST/api/v3`). Every call names
/// the repository it is about (`RepositoryRef`: owner, name and the installation whose token opens
/// it); every URL is built by `url(_:_:query:)` and every answer read as a `Decodable` type.
public struct GitHubClient: Sendable {
    public let apiURL: URL
    public let transport: any HTTPTransport
    public let tokens: InstallationTokens
    /// Reads the time that rate-limit resets are measured against.
    public let clock: WallClock
    /// Each installation's rate limit as this process knows it (shared by the process's clients).
    public let limits: InstallationLimits
    /// Paces each installation's writes across workers (nil: writes go when they are made).
    public var pacer: WritePacer?

    public init(
        apiURL: URL, transport: any HTTPTransport, tokens: InstallationTokens, clock: WallClock = .system, limits: InstallationLimits = InstallationLimits(),
        pacer: WritePacer? = nil
    ) {
        self.apiURL = apiURL
        self.transport = transport
        self.tokens = tokens
        self.clock = clock
        self.limits = limits
        self.pacer = pacer
    }

    /// The pull request as it is now: state, head, base, draft, labels, title and body.
    public func pullRequest(_ pr: PullRequestRef) async throws -> PullRequestInfo {
        let answer = try await get(PullAnswer.self, pr.repository, ["pulls", "\(pr.number)"], what: "reading the pull request")
        return PullRequestInfo(
            number: answer.number, state: answer.state, title: answer.title ?? "", body: answer.body ?? "", draft: answer.draft ?? false,
            headSha: answer.head.sha, baseSha: answer.base.sha, baseRef: answer.base.ref ?? "", labels: (answer.labels ?? []).compactMap(\.name),
            changedFiles: answer.changed_files ?? 0)
    }

    /// The pull request's diff; when GitHub says it is too large (406), rebuilt from the paginated
    /// file list, where files without a `patch` are listed as not reviewed with their true reason.
    public func diff(_ pr: PullRequestRef) async throws -> (diff: UnifiedDiff, notReviewed: [ReviewScope.Skipped]) {
        do {
            let response = try await send(
                pr.repository, "GET", url(pr.repository, ["pulls", "\(pr.number)"]), accept: "application/vnd.github.diff", what: "reading the diff")
            return (DiffParser.parse(String(decoding: response.body, as: UTF8.self)), [])
        } catch let error as ReviewError where error.code == .githubTooLarge {
            return try await diffFromFiles(pr)
        }
    }

    private func diffFromFiles(_ pr: PullRequestRef) async throws -> (diff: UnifiedDiff, notReviewed: [ReviewScope.Skipped]) {
        var files: [DiffFile] = []
        var notReviewed: [ReviewScope.Skipped] = []
        for entry in try await pages(ChangedFile.self, pr.repository, ["pulls", "\(pr.number)", "files"], what: "listing the changed files") {
            guard let patch = entry.patch else {
                notReviewed.append(ReviewScope.Skipped(path: entry.filename, reason: entry.whyNoPatch))
                continue
            }
            let status: DiffFile.Status =
                switch entry.status {
                case "added": .added
                case "removed": .removed
                case "renamed": .renamed
                case "copied": .copied
                default: .modified
                }
            files.append(
                DiffFile(
                    oldPath: status == .added ? nil : (entry.previous_filename ?? entry.filename),
                    newPath: status == .removed ? nil : entry.filename, status: status, hunks: DiffParser.parseHunks(patch)
                ))
        }
        return (UnifiedDiff(files: files), notReviewed)
    }

    /// The largest answer read from GitHub: a diff of thousands of files fits, and contents over
    /// 1 MB are never sent (`fileContents`).
    static let maxResponseBytes = 32 * 1024 * 1024

    /// GitHub's compare lists at most this many files ("up to 300 changed files for the entire comparison").
    public static let compareFileLimit = 300

    /// The paths changed between two commits, or nil when the push must be reviewed in full: the
    /// histories diverged (a force push), `base` is gone (404), or the list may be cut at GitHub's
    /// 300 files. Every listed file counts, with a patch or without.
    public func changedPaths(_ repository: RepositoryRef, base: String, head: String) async throws -> Set<String>? {
        struct Comparison: Decodable {
            struct File: Decodable { let filename: String }
            let status: String
            let files: [File]?
        }
        let comparison: Comparison
        do {
            comparison = try await get(Comparison.self, repository, ["compare", "\(base)...\(head)"], what: "comparing commits")
        } catch let error as ReviewError where error.code == .githubNotFound {
            return nil
        }
        guard comparison.status == "ahead" || comparison.status == "identical", let files = comparison.files, files.count < Self.compareFileLimit
        else { return nil }
        return Set(files.map(\.filename))
    }

    /// A file at a ref, read no further than `maxBytes`: GitHub's contents API answers with the
    /// file's `size` first, and its content (base64) only for files up to 1 MB, so a larger file
    /// is never downloaded. Nil when the file does not exist.
    public func fileContents(_ repository: RepositoryRef, path: String, ref: String, maxBytes: Int) async throws -> FileContents? {
        struct Contents: Decodable {
            let type: String?
            let size: Int
            let encoding: String?
            let content: String?
        }
        let contents: Contents
        do {
            contents = try await get(
                Contents.self, repository, ["contents"] + path.split(separator: "/").map(String.init), query: [("ref", ref)],
                accept: "application/vnd.github.object+json", what: "reading \(path)")
        } catch let error as ReviewError where error.code == .githubNotFound {
            return nil
        } catch let error as ReviewError where error.code == .githubForbidden && error.cause?.has(code: "too_large") == true {
            return .tooLarge(bytes: nil)
        }
        guard (contents.type ?? "file") == "file" else { return .notAFile }
        guard contents.size <= maxBytes else { return .tooLarge(bytes: contents.size) }
        guard contents.encoding == "base64", let content = contents.content, let data = Data(base64Encoded: content, options: .ignoreUnknownCharacters)
        else { return .tooLarge(bytes: contents.size) }
        return .file(data)
    }

    /// Review comments on the pull request (every page).
    public func reviewComments(_ pr: PullRequestRef) async throws -> [PostedItem] {
        try await pages(PostedItem.self, pr.repository, ["pulls", "\(pr.number)", "comments"], what: "listing review comments")
    }

    /// Reviews on the pull request (every page).
    public func reviews(_ pr: PullRequestRef) async throws -> [PostedItem] {
        try await pages(PostedItem.self, pr.repository, ["pulls", "\(pr.number)", "reviews"], what: "listing reviews")
    }

    /// Posts one review; returns its id.
    public func createReview(_ pr: PullRequestRef, _ review: ReviewSubmission) async throws -> Int {
        try await write("POST", pr.repository, ["pulls", "\(pr.number)", "reviews"], review, what: "posting the review")
    }

    // MARK: The one way every call is made

    /// `repos/OWNER/NAME/…segments` on this API, each segment percent-encoded, with `query`.
    func url(_ repository: RepositoryRef, _ segments: [String], query: [(String, String)] = []) -> URL {
        GitHubAPI.url(apiURL, ["repos", repository.owner, repository.name] + segments, query: query)
    }

    /// A GET whose JSON answer is read as `T`.
    func get<T: Decodable>(
        _ type: T.Type, _ repository: RepositoryRef, _ segments: [String], query: [(String, String)] = [],
        accept: String = "application/vnd.github+json", what: String
    ) async throws -> T {
        let response = try await send(repository, "GET", url(repository, segments, query: query), accept: accept, what: what)
        return try GitHubAPI.decode(T.self, from: response, what: what)
    }

    /// Every page of a list answer, read as `[T]`.
    func pages<T: Decodable>(
        _ type: T.Type, _ repository: RepositoryRef, _ segments: [String], query: [(String, String)] = [], what: String
    ) async throws -> [T] {
        try await GitHubAPI.pages(
            from: url(repository, segments, query: [("per_page", "100")] + query), fetch: { try await send(repository, "GET", $0, what: what) }
        ) { response in (try GitHubAPI.decode([T].self, from: response, what: what), true) }
    }

    /// A POST or PATCH of `body` as JSON; the id of what it created or changed.
    @discardableResult
    func write(_ method: String, _ repository: RepositoryRef, _ segments: [String], _ body: some Encodable, what: String) async throws -> Int {
        let response = try await send(repository, method, url(repository, segments), body: try JSONEncoder.iso.encode(body), what: what)
        return (try? JSONDecoder.iso.decode(Written.self, from: response.body))?.id ?? 0
    }

    /// One authenticated call; a 401 mints a fresh token and tries once more. Nothing is sent while
    /// the installation is rate limited (`limits`), and every answer tells `limits` what remains.
    func send(
        _ repository: RepositoryRef, _ method: String, _ url: URL, accept: String = "application/vnd.github+json", body: Data = Data(), what: String
    ) async throws -> HTTPResponse {
        let installation = repository.installationId
        for attempt in 0..<2 {
            try limits.check(installation, now: clock.now(), what: what)
            if method != "GET" { try await waitForWriteSlot(installation, creatingContent: method == "POST", what: what) }
            let token = try await tokens.token(installationId: installation, repository: repository.description)
            let request = HTTPRequest(
                method: method, url: url, headers: GitHubAPI.headers(authorization: "Bearer \(token)", accept: accept), body: body,
                maxResponseBytes: Self.maxResponseBytes)
            let response: HTTPResponse
            do {
                response = try await GitHubAPI.call(
                    request, transport: transport, what: what, now: clock.now(), acceptingUnauthorized: attempt == 0,
                    observe: { limits.observe($0, installation: installation, now: clock.now()) })
            } catch let error as ReviewError where error.code == .githubRateLimited {
                limits.pause(installation, until: clock.now().addingTimeInterval(error.retryAfter ?? 60))
                throw error
            }
            if response.status == 401 {
                await tokens.invalidate(installationId: installation, repository: repository.description)
                continue
            }
            return response
        }
        throw ReviewError(.githubUnauthorized, "GitHub refused a freshly minted token while \(what)")
    }

    /// Waits for the installation's next write slot; one further away than the pacer's longest wait
    /// is left to the queue (the job waits without spending an attempt).
    private func waitForWriteSlot(_ installation: Int, creatingContent: Bool, what: String) async throws {
        guard let pacer else { return }
        let now = clock.now()
        let wait = try await pacer.slot(installation: installation, creatingContent: creatingContent, now: now).timeIntervalSince(now)
        guard wait > 0 else { return }
        guard wait <= pacer.longestWait else {
            throw ReviewError(
                .githubRateLimited, "installation \(installation)'s writes are paced: the next slot is \(Int(wait.rounded(.up))) s away while \(what)",
                retryAfter: wait)
        }
        try await clock.sleep(wait)
    }
}

/// What a write answers with: the id of what it created or changed.
struct Written: Decodable { let id: Int? }

/// The fields of a pull request a review reads (`GET /repos/{owner}/{repo}/pulls/{n}`).
struct PullAnswer: Decodable {
    struct Commit: Decodable {
        let sha: String
        let ref: String?
    }
    struct Label: Decodable { let name: String? }
    let number: Int
    let state: String
    let title: String?
    let body: String?
    let draft: Bool?
    let head: Commit
    let base: Commit
    let labels: [Label]?
    let changed_files: Int?
}

/// One entry of GitHub's changed-file lists (`/pulls/{n}/files`, compare's `files`).
struct ChangedFile: Decodable {
    let filename: String
    let status: String
    let patch: String?
    let previous_filename: String?
    let changes: Int?

    /// Why GitHub sent no `patch`: a rename or a binary has none to send; otherwise the diff is
    /// too large for GitHub to show.
    var whyNoPatch: String {
        switch (status, changes ?? 0) {
        case ("renamed", 0): "renamed without changes"
        case ("removed", _): "deleted file"
        case (_, 0): "no text diff (binary file or mode change)"
        default: "diff too large for GitHub to show"
        }
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
