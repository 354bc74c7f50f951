import Crypto
import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import _CryptoExtras

/// GitHub's REST API as review-job uses it, serving real pull requests from fixture folders and
/// enforcing GitHub's documented rules, errors included: App JWTs and installation tokens, the diff
/// (406 `too_large` past 20,000 lines or 300 files), paginated files, reviews and review comments,
/// and 422 for a comment GitHub would reject. Faults (429, 403, 5xx, 422) can be scripted.
package final class GitHubStandIn: Sendable {
    package struct RecordedReview: Sendable {
        package let id: Int
        package let commitId: String
        package let event: String
        package let body: String
        package let comments: [JSONValue]
    }

    package struct Fault: Sendable {
        package var method: String
        package var pathSuffix: String
        package var status: Int
        package var headers: [String: String]
        package var body: String
        package var times: Int

        package init(
            method: String = "GET", pathSuffix: String, status: Int, headers: [String: String] = [:], body: String = #"{"message":"scripted fault"}"#,
            times: Int = 1
        ) {
            self.method = method
            self.pathSuffix = pathSuffix
            self.status = status
            self.headers = headers
            self.body = body
            self.times = times
        }
    }

    /// An installation's rate limit: a primary one (its hourly quota spent: 403 with
    /// `x-ratelimit-remaining: 0` and `x-ratelimit-reset`) or a secondary one (403 with the
    /// secondary-limit message and, when given, `retry-after`), until `until`.
    package struct RateLimit: Sendable {
        package var until: Date
        package var secondary: Bool
        package var retryAfter: Int?

        package init(until: Date, secondary: Bool, retryAfter: Int? = nil) {
            self.until = until
            self.secondary = secondary
            self.retryAfter = retryAfter
        }
    }

    struct Pull {
        var fixture: PullRequestFixture
        var head: String
        /// The pull request's commits, oldest first (a force push leaves only the new head).
        var commits: [String]
        /// Commits a force push took out of the pull request: they still exist, on a diverged history.
        var formerCommits: [String] = []
        /// Each commit's files.json entries, for `/compare` between two of them.
        var snapshots: [String: [JSONValue]] = [:]
        var forceTooLarge = false
        /// path → side → line → hunk number, read from files.json patches (independently of ReviewCore).
        var lines: [String: [String: [Int: Int]]]
        /// path → how many lines its patch has (for `position`).
        var patchLines: [String: Int] = [:]
    }

    struct State: Sendable {
        var pulls: [String: Pull] = [:]
        var tokens: [String: (installation: Int, expires: Date, permissions: [String: String])] = [:]
        /// What the App's installation was granted (`checks: write` can be taken away).
        var granted: [String: String] = ["pull_requests": "write", "contents": "read", "metadata": "read", "checks": "write", "issues": "write"]
        /// Check runs by id, each `[repo, head_sha, name, status, conclusion?, output?, app slug, external_id?]` as GitHub returns it.
        var checkRuns: [Int: CheckRun] = [:]
        /// Manifest codes GitHub handed out, each good for one conversion within an hour.
        var manifestCodes: [String: (manifest: JSONValue, issued: Date)] = [:]
        var reviews: [String: [RecordedReview]] = [:]
        var faults: [Fault] = []
        /// Rate limits per installation, as GitHub documents them, judged on `clock`.
        var rateLimits: [Int: RateLimit] = [:]
        /// The paths the contents API was asked for, in order.
        var contentReads: [String] = []
        /// Conversation comments served by list calls, in all.
        var listedIssueComments = 0
        /// Users' roles on every repository (admin, maintain, write, triage, read, none; "unknown":
        /// no such user); anyone not listed writes.
        var roles: [String: String] = [:]
        /// Requests answered with a rate limit, per installation.
        var limitedAnswers: [Int: Int] = [:]
        var clock: @Sendable () -> Date = { Date() }
        /// "owner/repo path" → file text (served on any ref), "owner/repo path@ref" → on that ref only.
        var contents: [String: String] = [:]
        /// The App's webhook delivery log, and the ids redelivered.
        var deliveries: [JSONValue] = []
        var redelivered: [Int] = []
        var rejected: [String] = []
        /// Reviews and review comments written by others (users, other Apps): key → items.
        var othersReviews: [String: [Comment]] = [:]
        /// Review comments (ours as posted in reviews and replies, and others'): key → items, in order.
        var reviewComments: [String: [Comment]] = [:]
        /// Conversation comments on pull requests: key → items, in order.
        var issueComments: [String: [Comment]] = [:]
        /// Reactions: "issues 123 eyes" / "pulls 456 eyes".
        var reactions: [String] = []
        var requests: [String] = []
        var nextId = 1000
    }

    package let server: HTTPServer
    private let state: NIOLockedValueBox<State>
    private let stalls: Stalls
    package var url: URL { URL(string: "http://127.0.0.1:\(server.port)")! }

    private init(server: HTTPServer, state: NIOLockedValueBox<State>, stalls: Stalls) {
        self.server = server
        self.state = state
        self.stalls = stalls
    }

    /// Holds the first request matching `method` and `pathSuffix` until `releaseStalls()` — the
    /// moment a crash test kills the worker. `onArrival` runs when it is held.
    /// With `afterHandling`, the request takes effect (a review is recorded) and only the answer is held.
    package func stall(pathSuffix: String, method: String, afterHandling: Bool = false, onArrival: @escaping @Sendable () -> Void) {
        stalls.add(Stalls.Rule(method: method, pathSuffix: pathSuffix, after: afterHandling, onArrival: onArrival))
    }

    package func releaseStalls() { stalls.releaseAll() }

    final class Stalls: Sendable {
        struct Rule: Sendable { let method: String; let pathSuffix: String; let after: Bool; let onArrival: @Sendable () -> Void }
        private let state = NIOLockedValueBox<(rules: [Rule], held: [CheckedContinuation<Void, Never>], released: Bool)>(([], [], false))

        func add(_ rule: Rule) {
            state.withLockedValue {
                $0.rules.append(rule); $0.released = false
            }
        }

        /// Holds a matching request; returns true (without holding) when the match is for after handling.
        func wait(for request: HTTPRequest, after: Bool) async -> Bool {
            let match = state.withLockedValue { state -> Rule? in
                guard !state.released, let index = state.rules.firstIndex(where: { $0.method == request.method && request.url.path.hasSuffix($0.pathSuffix) })
                else { return nil }
                if state.rules[index].after && !after { return state.rules[index] }
                return state.rules.remove(at: index)
            }
            guard let rule = match else { return false }
            if rule.after && !after { return true }
            await withCheckedContinuation { continuation in
                let released = state.withLockedValue { state -> Bool in
                    if !state.released { state.held.append(continuation) }
                    return state.released
                }
                if released { continuation.resume() } else { rule.onArrival() }
            }
            return false
        }

        func releaseAll() {
            let held = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
                state.released = true
                defer { state.held = [] }
                return state.held
            }
            held.forEach { $0.resume() }
        }
    }

    /// Starts on a free port; `publicKey` and `issuer` are what App JWTs are checked against.
    package static func start(publicKey: _RSA.Signing.PublicKey, issuer: String) async throws -> GitHubStandIn {
        let state = NIOLockedValueBox(State())
        let stalls = Stalls()
        let server = try await HTTPServer.start(port: 0) { request in
            let after = await stalls.wait(for: request, after: false)
            let response = Router(state: state, publicKey: publicKey, issuer: issuer).handle(request)
            if after { _ = await stalls.wait(for: request, after: true) }
            return response
        }
        return GitHubStandIn(server: server, state: state, stalls: stalls)
    }

    package func stop() async { await server.stop() }

    /// Serves the fixture's pull request at the owner/repo/number of its `pull.json`; returns "owner/repo#n".
    @discardableResult
    package func serve(_ fixture: PullRequestFixture) -> (owner: String, repo: String, number: Int, head: String, base: String) {
        let pull = JSONFieldReader(fixture.pull)
        let owner = (try? pull.string("base.repo.owner.login")) ?? "owner"
        let repo = (try? pull.string("base.repo.name")) ?? "repo"
        let number = (try? pull.int("number")) ?? 1
        let head = (try? pull.string("head.sha")) ?? ""
        let base = (try? pull.string("base.sha")) ?? ""
        var lines: [String: [String: [Int: Int]]] = [:]
        var patchLines: [String: Int] = [:]
        for file in fixture.files {
            guard let patch = file.patch else { continue }
            lines[file.filename] = Self.commentableLines(patch)
            patchLines[file.filename] = patch.split(separator: "\n", omittingEmptySubsequences: false).count
        }
        let entries = (try? JSONValue.parse(fixture.data("files.json")))?.arrayValue ?? []
        state.withLockedValue {
            let key = "\(owner)/\(repo)#\(number)"
            let earlier = $0.pulls[key]
            var pull = Pull(fixture: fixture, head: head, commits: (earlier?.commits ?? []) + [head], lines: lines, patchLines: patchLines)
            pull.snapshots = earlier?.snapshots ?? [:]
            pull.formerCommits = earlier?.formerCommits ?? []
            pull.snapshots[head] = entries
            $0.pulls[key] = pull
            // The files at head, where the fixture recorded them, answer the contents API at that ref.
            for (path, text) in fixture.headFiles { $0.contents["\(owner)/\(repo) \(path)@\(head)"] = text }
        }
        return (owner, repo, number, head, base)
    }

    /// A push: the pull request's head becomes `sha`.
    package func moveHead(_ key: String, to sha: String) {
        state.withLockedValue {
            guard var pull = $0.pulls[key] else { return }
            pull.snapshots[sha] = pull.snapshots[pull.head]
            pull.head = sha
            pull.commits.append(sha)
            $0.pulls[key] = pull
        }
    }
    /// A force-push: the head becomes `sha` and the old commits are no longer part of the pull request
    /// (they stay in the repository, on a diverged history, unless `collected`: then they are gone).
    package func forcePush(_ key: String, to sha: String, collected: Bool = false) {
        state.withLockedValue {
            guard var pull = $0.pulls[key] else { return }
            pull.snapshots[sha] = pull.snapshots[pull.head]
            if !collected { pull.formerCommits += pull.commits }
            pull.head = sha
            pull.commits = [sha]
            $0.pulls[key] = pull
        }
    }
    package func forceTooLarge(_ key: String) { state.withLockedValue { $0.pulls[key]?.forceTooLarge = true } }
    /// The App's delivery log as `GET /app/hook/deliveries` returns it.
    package func setDeliveries(_ deliveries: [[String: Any]]) {
        let list = deliveries.compactMap { (try? JSONSerialization.data(withJSONObject: $0)).flatMap { try? JSONValue.parse($0) } }
        state.withLockedValue { $0.deliveries = list }
    }
    package var redelivered: [Int] { state.withLockedValue { $0.redelivered } }

    /// Puts a file in the repository: on every branch, or on `ref` only.
    package func setFile(_ repo: String, _ path: String, _ text: String, ref: String? = nil) {
        state.withLockedValue { $0.contents["\(repo) \(path)" + (ref.map { "@" + $0 } ?? "")] = text }
    }
    package func script(_ fault: Fault) { state.withLockedValue { $0.faults.append(fault) } }

    /// Answers every request made with a token of `installation` with this rate limit until it ends.
    package func limit(installation: Int, _ limit: RateLimit) { state.withLockedValue { $0.rateLimits[installation] = limit } }

    /// The time rate limits are judged on (a test's manual clock).
    package func useClock(_ clock: @escaping @Sendable () -> Date) { state.withLockedValue { $0.clock = clock } }

    /// The paths the contents API was asked for, in order.
    package var contentReads: [String] { state.withLockedValue { $0.contentReads } }

    /// A time as GitHub writes it (ISO 8601, whole seconds, UTC).
    static func timestamp(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
    static func date(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }

    /// Conversation comments served by list calls, in all.
    package var listedIssueComments: Int { state.withLockedValue { $0.listedIssueComments } }

    /// Gives `login` this role on every repository (admin, maintain, write, triage, read, none; "unknown": no such user).
    package func setRole(_ login: String, _ role: String) { state.withLockedValue { $0.roles[login.lowercased()] = role } }

    /// Requests of `installation` answered with its rate limit.
    package func limitedAnswers(installation: Int) -> Int { state.withLockedValue { $0.limitedAnswers[installation, default: 0] } }

    /// The stand-in App's slug: its reviews are written by `pr-review[bot]`.
    package static let appSlug = "pr-review"
    package static let appId = 4242

    /// A review on `key` ("owner/repo#n") written by someone else, e.g. `login: "mallory[bot]", type: "Bot"`.
    /// `login: nil` is a deleted account and `commitId: nil` a review whose commit is gone: GitHub
    /// then sends `"user": null` and `"commit_id": null`.
    package func addReviewByOther(
        _ key: String, body: String, login: String?, type: String = "User", appId: Int? = nil, commitId: String? = "0000000000000000000000000000000000000000"
    ) {
        state.withLockedValue { state in
            state.nextId += 1
            var review = Comment(
                id: state.nextId, body: body, author: login.map { Author(login: $0, type: type, id: state.nextId) },
                app: appId.map { ($0, login ?? "ghost") })
            review.state = "COMMENTED"
            review.commitId = .some(commitId)
            state.othersReviews[key, default: []].append(review)
        }
    }

    /// A review comment on `key` written by someone else (a reply when `inReplyTo` is set); returns its id.
    @discardableResult
    package func addReviewCommentByOther(
        _ key: String, path: String, body: String, login: String, type: String = "User", inReplyTo: Int? = nil, association: String = "MEMBER"
    ) -> Int {
        state.withLockedValue { state in
            state.nextId += 1
            var comment = Comment(id: state.nextId, body: body, author: Author(login: login, type: type), association: association)
            comment.path = path
            comment.inReplyTo = inReplyTo
            state.reviewComments[key, default: []].append(comment)
            return state.nextId
        }
    }

    /// A conversation comment on `key` written by someone else; returns its id.
    @discardableResult
    package func addIssueCommentByOther(_ key: String, body: String, login: String, type: String = "User", association: String = "MEMBER") -> Int {
        state.withLockedValue { state in
            state.nextId += 1
            let now = GitHubStandIn.timestamp(state.clock())
            var comment = Comment(id: state.nextId, body: body, author: Author(login: login, type: type), association: association)
            (comment.createdAt, comment.updatedAt) = (now, now)
            state.issueComments[key, default: []].append(comment)
            return state.nextId
        }
    }

    /// The conversation comments on `key` as GitHub lists them.
    package func issueComments(_ key: String) -> [(id: Int, body: String, author: String)] {
        state.withLockedValue { state in
            (state.issueComments[key] ?? []).map { ($0.id, $0.body, $0.author?.login ?? "") }
        }
    }

    /// The review comments on `key` (ours and others'), with the thread each replies in.
    package func reviewComments(_ key: String) -> [(id: Int, body: String, author: String, inReplyTo: Int?)] {
        state.withLockedValue { state in
            (state.reviewComments[key] ?? []).map { ($0.id, $0.body, $0.author?.login ?? "", $0.inReplyTo) }
        }
    }

    /// Every reaction added, as "issues ID CONTENT" or "pulls ID CONTENT".
    package var reactions: [String] { state.withLockedValue { $0.reactions } }

    package func reviews(_ key: String) -> [RecordedReview] { state.withLockedValue { $0.reviews[key] ?? [] } }

    /// The check runs on `repo` ("owner/repo"), oldest first, as GitHub returns them.
    package func checkRuns(_ repo: String) -> [JSONValue] {
        state.withLockedValue { state in
            state.checkRuns.values.filter { $0.repository == repo }.sorted { $0.id < $1.id }.compactMap { run in
                (try? JSONSerialization.data(withJSONObject: run.json)).flatMap { try? JSONValue.parse($0) }
            }
        }
    }

    /// Takes `checks` away from (or gives it back to) the installation.
    package func grantChecks(_ granted: Bool) { state.withLockedValue { $0.granted["checks"] = granted ? "write" : nil } }
    /// Every 422 the stand-in answered, with GitHub's reason.
    package var rejections: [String] { state.withLockedValue { $0.rejected } }
    package var requestLog: [String] { state.withLockedValue { $0.requests } }

    /// Walks a patch by its hunk headers: which lines a comment may name on each side, in which hunk.
    static func commentableLines(_ patch: String) -> [String: [Int: Int]] {
        var right: [Int: Int] = [:], left: [Int: Int] = [:]
        var old = 0, new = 0, hunk = -1
        for raw in patch.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map({ String(String.UnicodeScalarView($0)) }) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
            if line.hasPrefix("@@") {
                let numbers = line.split(separator: " ").prefix(3).dropFirst().map { $0.dropFirst().split(separator: ",").first.flatMap { Int($0) } ?? 0 }
                guard numbers.count == 2 else { continue }
                old = numbers[0]; new = numbers[1]; hunk += 1
            } else if line.hasPrefix("+") {
                right[new] = hunk; new += 1
            } else if line.hasPrefix("-") {
                left[old] = hunk; old += 1
            } else if line.hasPrefix("\\") {
                continue
            } else if hunk >= 0 {
                right[new] = hunk; left[old] = hunk; new += 1; old += 1
            }
        }
        return ["RIGHT": right, "LEFT": left]
    }

    /// Answers each request: a scripted fault, a rate limit, or the route (`routes`) it matches.
    struct Router {
        let state: NIOLockedValueBox<State>
        let publicKey: _RSA.Signing.PublicKey
        let issuer: String

        func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> HTTPResponse {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data()
            return HTTPResponse(status: status, headers: headers.merging(["content-type": "application/json"]) { a, _ in a }, body: data)
        }

        func reject(_ reason: String) -> HTTPResponse {
            state.withLockedValue { $0.rejected.append(reason) }
            return json(422, ["message": "Unprocessable Entity", "errors": [reason], "status": "422"])
        }

        /// One page of `items` as GitHub pages lists: `per_page` (default 30, at most 100), `page`,
        /// and a `link` header with `rel="next"` while more remain.
        func paged(_ request: HTTPRequest, _ items: [Any]) -> HTTPResponse {
            let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
            let perPage = max(1, min(100, query.first { $0.name == "per_page" }?.value.flatMap(Int.init) ?? 30))
            let page = max(1, query.first { $0.name == "page" }?.value.flatMap(Int.init) ?? 1)
            let slice = Array(items.dropFirst((page - 1) * perPage).prefix(perPage))
            var headers: [String: String] = [:]
            if page * perPage < items.count {
                headers["link"] = "<http://\(request.header("host") ?? "127.0.0.1")\(request.url.path)?per_page=\(perPage)&page=\(page + 1)>; rel=\"next\""
            }
            return json(200, slice, headers: headers)
        }

        /// The rate-limit answer for a request whose token's installation is limited now
        /// (docs.github.com, "Rate limits for the REST API": 403 or 429; the primary limit with
        /// `x-ratelimit-remaining: 0`, the secondary one with its message and maybe `retry-after`).
        func rateLimited(_ request: HTTPRequest) -> HTTPResponse? {
            guard let auth = request.header("authorization"), auth.hasPrefix("Bearer ") else { return nil }
            return state.withLockedValue { state -> HTTPResponse? in
                guard let installation = state.tokens[String(auth.dropFirst(7))]?.installation, let limit = state.rateLimits[installation],
                    state.clock() < limit.until
                else { return nil }
                state.limitedAnswers[installation, default: 0] += 1
                let reset = String(Int(limit.until.timeIntervalSince1970.rounded(.up)))
                if limit.secondary {
                    var headers = ["content-type": "application/json"]
                    if let seconds = limit.retryAfter { headers["retry-after"] = String(seconds) }
                    let message =
                        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID."
                    return HTTPResponse(status: 403, headers: headers, body: Data(#"{"message":"\#(message)"}"#.utf8))
                }
                return HTTPResponse(
                    status: 403,
                    headers: [
                        "content-type": "application/json", "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
                        "x-ratelimit-reset": reset, "x-ratelimit-resource": "core",
                    ],
                    body: Data(#"{"message":"API rate limit exceeded for installation ID \#(installation)."}"#.utf8))
            }
        }

        func authorized(_ request: HTTPRequest) -> Bool {
            guard let auth = request.header("authorization"), auth.hasPrefix("Bearer ") else { return false }
            let token = String(auth.dropFirst(7))
            return state.withLockedValue { $0.tokens[token].map { $0.expires > Date() } ?? false }
        }

        /// The permissions of the request's token.
        func permissions(_ request: HTTPRequest) -> [String: String] {
            guard let auth = request.header("authorization"), auth.hasPrefix("Bearer ") else { return [:] }
            return state.withLockedValue { $0.tokens[String(auth.dropFirst(7))]?.permissions ?? [:] }
        }
    }
}
