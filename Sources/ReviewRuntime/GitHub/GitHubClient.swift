import Foundation
import ReviewCore

/// GitHub's REST API for one installation (`GITHUB_API_URL`, default https://api.github.com, also
/// GitHub Enterprise Server's `https://HOST/api/v3`).
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
    public func pullRequest(_ job: ReviewJob) async throws -> PullRequestInfo {
        let response = try await send(job, "GET", "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)", what: "reading the pull request")
        let json = JSONFieldReader(try JSONValue.parse(response.body, what: "pull request"))
        return PullRequestInfo(
            number: try json.int("number"), state: try json.string("state"), title: try json.optionalString("title") ?? "",
            body: try json.optionalString("body") ?? "", draft: try json.bool("draft", default: false),
            headSha: try json.string("head.sha"), baseSha: try json.string("base.sha"), baseRef: try json.optionalString("base.ref") ?? "",
            labels: { if case .array(let items)? = json.value(at: "labels") { items.compactMap { $0["name"]?.stringValue } } else { [] } }(),
            changedFiles: (try? json.int("changed_files")) ?? 0
        )
    }

    /// The pull request's diff; when GitHub says it is too large (406), rebuilt from the paginated
    /// file list, where files without a `patch` are listed as not reviewed with their true reason.
    public func diff(_ job: ReviewJob) async throws -> (diff: UnifiedDiff, notReviewed: [ReviewScope.Skipped]) {
        let path = "repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)"
        do {
            let response = try await send(job, "GET", path, accept: "application/vnd.github.diff", what: "reading the diff")
            return (DiffParser.parse(String(decoding: response.body, as: UTF8.self)), [])
        } catch let error as ReviewError where error.code == .githubTooLarge {
            return try await diffFromFiles(job)
        }
    }

    private func diffFromFiles(_ job: ReviewJob) async throws -> (diff: UnifiedDiff, notReviewed: [ReviewScope.Skipped]) {
        var files: [DiffFile] = []
        var notReviewed: [ReviewScope.Skipped] = []
        let first = GitHubAPI.firstPage(apiURL.appendingPathComponent("repos/\(job.owner)/\(job.repo)/pulls/\(job.prNumber)/files"))
        let entries: [ChangedFile] = try await GitHubAPI.pages(from: first, fetch: { try await send(job, "GET", url: $0, what: "listing the changed files") }) {
            response in
            guard let entries = try? JSONDecoder.iso.decode([ChangedFile].self, from: response.body) else {
                throw ReviewError(.githubProtocol, "the file list is not an array of files")
            }
            return (entries, true)
        }
        for entry in entries {
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
    public func changedPaths(_ job: ReviewJob, base: String, head: String) async throws -> Set<String>? {
        let response: HTTPResponse
        do {
            response = try await send(job, "GET", "repos/\(job.owner)/\(job.repo)/compare/\(base)...\(head)", what: "comparing commits")
        } catch let error as ReviewError where error.code == .githubNotFound {
            return nil
        }
        let json = try JSONValue.parse(response.body, what: "comparison")
        guard json["status"]?.stringValue == "ahead" || json["status"]?.stringValue == "identical" else { return nil }
        guard case .array(let entries)? = json["files"], entries.count < Self.compareFileLimit else { return nil }
        return Set(entries.compactMap { $0["filename"]?.stringValue })
    }

    /// A file at a ref, read no further than `maxBytes`: GitHub's contents API answers with the
    /// file's `size` first, and its content (base64) only for files up to 1 MB, so a larger file
    /// is never downloaded. Nil when the file does not exist.
    public func fileContents(_ job: ReviewJob, path: String, ref: String, maxBytes: Int) async throws -> FileContents? {
        let response: HTTPResponse
        do {
            let segments = ["repos", job.owner, job.repo, "contents"] + path.split(separator: "/").map(String.init)
            let url = GitHubAPI.url(apiURL, segments, query: [("ref", ref)])
            response = try await send(job, "GET", url: url, accept: "application/vnd.github.object+json", what: "reading \(path)")
        } catch let error as ReviewError where error.code == .githubNotFound {
            return nil
        } catch let error as ReviewError where error.code == .githubForbidden && error.message.contains("too_large") {
            return .tooLarge(bytes: nil)
        }
        let json = JSONFieldReader(try JSONValue.parse(response.body, what: "\(path)'s contents"))
        guard try json.optionalString("type") ?? "file" == "file" else { return .notAFile }
        let size = try json.int("size")
        guard size <= maxBytes else { return .tooLarge(bytes: size) }
        guard try json.optionalString("encoding") == "base64", let content = try json.optionalString("content"),
            let data = Data(base64Encoded: content, options: .ignoreUnknownCharacters)
        else { return .tooLarge(bytes: size) }
        return .file(data)
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
        return Self.id(response)
    }

    func pages(_ job: ReviewJob, _ path: String, what: String, from first: URL? = nil) async throws -> [PostedItem] {
        try await GitHubAPI.pages(
            from: first ?? GitHubAPI.firstPage(apiURL.appendingPathComponent(path)), fetch: { try await send(job, "GET", url: $0, what: what) }
        ) { response in
            guard case .array(let entries) = try JSONValue.parse(response.body, what: what) else { return ([], false) }
            return (entries.map(PostedItem.init), true)
        }
    }

    func send(
        _ job: ReviewJob, _ method: String, _ path: String, accept: String = "application/vnd.github+json", body: Data = Data(), what: String
    ) async throws -> HTTPResponse {
        try await send(job, method, url: apiURL.appendingPathComponent(path), accept: accept, body: body, what: what)
    }

    /// One authenticated call; a 401 mints a fresh token and tries once more. Nothing is sent while
    /// the installation is rate limited (`limits`), and every answer tells `limits` what remains.
    func send(
        _ job: ReviewJob, _ method: String, url: URL, accept: String = "application/vnd.github+json", body: Data = Data(), what: String
    ) async throws -> HTTPResponse {
        let repository = "\(job.owner)/\(job.repo)"
        for attempt in 0..<2 {
            try limits.check(job.installationId, now: clock.now(), what: what)
            if method != "GET" { try await waitForWriteSlot(job.installationId, creatingContent: method == "POST", what: what) }
            let token = try await tokens.token(installationId: job.installationId, repository: repository)
            let request = HTTPRequest(
                method: method, url: url, headers: GitHubAPI.headers(authorization: "Bearer \(token)", accept: accept), body: body,
                maxResponseBytes: Self.maxResponseBytes)
            let response: HTTPResponse
            do {
                response = try await GitHubAPI.call(
                    request, transport: transport, what: what, now: clock.now(), acceptingUnauthorized: attempt == 0,
                    observe: { limits.observe($0, installation: job.installationId, now: clock.now()) })
            } catch let error as ReviewError where error.code == .githubRateLimited {
                limits.pause(job.installationId, until: clock.now().addingTimeInterval(error.retryAfter ?? 60))
                throw error
            }
            if response.status == 401 {
                await tokens.invalidate(installationId: job.installationId, repository: repository)
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
