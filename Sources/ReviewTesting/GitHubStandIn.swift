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
        var snapshots: [String: [Any]] = [:]
        var forceTooLarge = false
        /// path → side → line → hunk number, read from files.json patches (independently of ReviewCore).
        var lines: [String: [String: [Int: Int]]]
        /// path → how many lines its patch has (for `position`).
        var patchLines: [String: Int] = [:]
    }

    struct State: @unchecked Sendable {
        var pulls: [String: Pull] = [:]
        var tokens: [String: (installation: Int, expires: Date, permissions: [String: String])] = [:]
        /// What the App's installation was granted (`checks: write` can be taken away).
        var granted: [String: String] = ["pull_requests": "write", "contents": "read", "metadata": "read", "checks": "write", "issues": "write"]
        /// Check runs by id, each `[repo, head_sha, name, status, conclusion?, output?, app slug, external_id?]` as GitHub returns it.
        var checkRuns: [Int: [String: Any]] = [:]
        var checkRunRepos: [Int: String] = [:]
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
        var deliveries: [[String: Any]] = []
        var redelivered: [Int] = []
        var rejected: [String] = []
        /// Reviews and review comments written by others (users, other Apps): key → items.
        var othersReviews: [String: [[String: Any]]] = [:]
        /// Review comments (ours as posted in reviews and replies, and others'): key → items, in order.
        var reviewComments: [String: [[String: Any]]] = [:]
        /// Conversation comments on pull requests: key → items, in order.
        var issueComments: [String: [[String: Any]]] = [:]
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
        let server = try await HTTPServer.start(port: 0, threads: 1) { request in
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
        let entries = (try? JSONSerialization.jsonObject(with: fixture.data("files.json"))) as? [Any] ?? []
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
    package func setDeliveries(_ deliveries: [[String: Any]]) { nonisolated(unsafe) let list = deliveries; state.withLockedValue { $0.deliveries = list } }
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
            let user: Any = login.map { ["login": $0, "type": type, "id": state.nextId] as [String: Any] } ?? NSNull()
            var item: [String: Any] = ["id": state.nextId, "body": body, "state": "COMMENTED", "user": user, "commit_id": commitId ?? NSNull()]
            if let appId { item["performed_via_github_app"] = ["id": appId, "slug": login ?? "ghost"] }
            state.othersReviews[key, default: []].append(item)
        }
    }

    /// A review comment on `key` written by someone else (a reply when `inReplyTo` is set); returns its id.
    @discardableResult
    package func addReviewCommentByOther(
        _ key: String, path: String, body: String, login: String, type: String = "User", inReplyTo: Int? = nil, association: String = "MEMBER"
    ) -> Int {
        state.withLockedValue { state in
            state.nextId += 1
            var item: [String: Any] = [
                "id": state.nextId, "body": body, "path": path, "user": ["login": login, "type": type], "author_association": association,
            ]
            if let inReplyTo { item["in_reply_to_id"] = inReplyTo }
            state.reviewComments[key, default: []].append(item)
            return state.nextId
        }
    }

    /// A conversation comment on `key` written by someone else; returns its id.
    @discardableResult
    package func addIssueCommentByOther(_ key: String, body: String, login: String, type: String = "User", association: String = "MEMBER") -> Int {
        state.withLockedValue { state in
            state.nextId += 1
            let now = GitHubStandIn.timestamp(state.clock())
            state.issueComments[key, default: []].append([
                "id": state.nextId, "body": body, "user": ["login": login, "type": type], "author_association": association,
                "created_at": now, "updated_at": now,
            ])
            return state.nextId
        }
    }

    /// The conversation comments on `key` as GitHub lists them.
    package func issueComments(_ key: String) -> [(id: Int, body: String, author: String)] {
        state.withLockedValue { state in
            (state.issueComments[key] ?? []).map {
                ($0["id"] as? Int ?? 0, $0["body"] as? String ?? "", ($0["user"] as? [String: Any])?["login"] as? String ?? "")
            }
        }
    }

    /// The review comments on `key` (ours and others'), with the thread each replies in.
    package func reviewComments(_ key: String) -> [(id: Int, body: String, author: String, inReplyTo: Int?)] {
        state.withLockedValue { state in
            (state.reviewComments[key] ?? []).map {
                ($0["id"] as? Int ?? 0, $0["body"] as? String ?? "", ($0["user"] as? [String: Any])?["login"] as? String ?? "", $0["in_reply_to_id"] as? Int)
            }
        }
    }

    /// Every reaction added, as "issues ID CONTENT" or "pulls ID CONTENT".
    package var reactions: [String] { state.withLockedValue { $0.reactions } }

    package func reviews(_ key: String) -> [RecordedReview] { state.withLockedValue { $0.reviews[key] ?? [] } }

    /// The check runs on `repo` ("owner/repo"), oldest first, as GitHub returns them.
    package func checkRuns(_ repo: String) -> [JSONValue] {
        state.withLockedValue { state in
            state.checkRuns.keys.sorted().filter { state.checkRunRepos[$0] == repo }.compactMap { id in
                (try? JSONSerialization.data(withJSONObject: state.checkRuns[id] ?? [:])).flatMap { try? JSONValue.parse($0) }
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

    struct Router {
        let state: NIOLockedValueBox<State>
        let publicKey: _RSA.Signing.PublicKey
        let issuer: String

        func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> HTTPResponse {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data()
            return HTTPResponse(status: status, headers: headers.merging(["content-type": "application/json"]) { a, _ in a }, body: data)
        }

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            let path = request.url.path
            state.withLockedValue { $0.requests.append("\(request.method) \(path)") }
            if let fault = state.withLockedValue({ state -> Fault? in
                guard let index = state.faults.firstIndex(where: { $0.method == request.method && path.hasSuffix($0.pathSuffix) }) else { return nil }
                let fault = state.faults[index]
                state.faults[index].times -= 1
                if state.faults[index].times <= 0 { state.faults.remove(at: index) }
                return fault
            }) {
                return HTTPResponse(
                    status: fault.status, headers: fault.headers.merging(["content-type": "application/json"]) { a, _ in a }, body: Data(fault.body.utf8))
            }
            if let limited = rateLimited(request) { return limited }
            if request.method == "GET", path == "/_standin/reviews" { return recorded() }
            if request.method == "POST", path == "/_standin/comments" { return seedComment(request) }
            let parts = path.split(separator: "/").map(String.init)
            if parts.count >= 3, parts[0] == "app", parts[1] == "hook", parts[2] == "deliveries" {
                guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "), validJWT(String(auth.dropFirst(7))) else {
                    return json(401, ["message": "A JSON web token could not be decoded"])
                }
                if request.method == "GET", parts.count == 3 { return json(200, state.withLockedValue { $0.deliveries }) }
                if request.method == "POST", parts.count == 5, parts[4] == "attempts", let id = Int(parts[3]) {
                    state.withLockedValue { $0.redelivered.append(id) }
                    return json(202, [:] as [String: String])
                }
            }
            if request.method == "GET", parts == ["app"] {
                // GET /app: "You must use a JWT to access this endpoint."
                guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "), validJWT(String(auth.dropFirst(7))) else {
                    return json(401, ["message": "A JSON web token could not be decoded"])
                }
                return json(
                    200, ["id": GitHubStandIn.appId, "slug": GitHubStandIn.appSlug, "name": "PR Review", "owner": ["login": "owner", "type": "Organization"]])
            }
            if request.method == "POST", parts.count == 4, parts[0] == "app", parts[1] == "installations", parts[3] == "access_tokens" {
                return mintToken(request, installation: Int(parts[2]) ?? 0)
            }
            if let answer = manifestFlow(request, parts: parts) { return answer }
            guard parts.count >= 3, parts[0] == "repos" else { return json(404, ["message": "Not Found"]) }
            guard authorized(request) else { return json(401, ["message": "Bad credentials"]) }
            let repoKey = "\(parts[1])/\(parts[2])"
            if parts.count == 5, parts[3] == "compare" { return compare(repoKey, parts[4]) }
            if let answer = checks(request, repoKey: repoKey, parts: Array(parts[3...])) { return answer }
            if parts.count >= 5, parts[3] == "contents" {
                let file = parts[4...].joined(separator: "/")
                // The ref as GitHub reads it: the decoded value of the `ref` query parameter.
                let ref = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "ref" }?.value
                let text = state.withLockedValue { state in
                    ref.flatMap { state.contents["\(repoKey) \(file)@\($0)"] } ?? state.contents["\(repoKey) \(file)"]
                }
                state.withLockedValue { $0.contentReads.append(file) }
                guard let text else { return json(404, ["message": "Not Found"]) }
                if request.header("accept")?.contains("raw") == true {
                    return HTTPResponse(status: 200, headers: ["content-type": "application/vnd.github.raw"], body: Data(text.utf8))
                }
                // The object form (docs.github.com, "Get repository content"): the size always; the
                // content, base64 with a line break every 60 characters, only up to 1 MB; above it
                // `encoding: none` and no content, up to 100 MB; larger is refused.
                let size = text.utf8.count
                guard size <= 100_000_000 else {
                    return json(
                        403,
                        [
                            "message": "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API",
                            "errors": [["code": "too_large"]],
                        ])
                }
                let base64 = size <= 1_000_000 ? Data(text.utf8).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed]) : ""
                return json(
                    200,
                    [
                        "type": "file", "name": String(file.split(separator: "/").last ?? ""), "path": file, "size": size,
                        "encoding": size <= 1_000_000 ? "base64" : "none", "content": base64, "sha": String(repeating: "0", count: 40),
                    ])
            }
            if let answer = conversation(request, repoKey: repoKey, parts: Array(parts[3...])) { return answer }
            guard parts.count >= 5, parts[3] == "pulls", let number = Int(parts[4]) else { return json(404, ["message": "Not Found"]) }
            let key = "\(repoKey)#\(number)"
            guard let pull = state.withLockedValue({ $0.pulls[key] }) else { return json(404, ["message": "Not Found"]) }
            switch (request.method, parts.count > 5 ? parts[5] : "") {
            case ("GET", ""): return pullOrDiff(request, pull)
            case ("GET", "files"): return files(request, pull)
            case ("GET", "reviews"): return listReviews(request, key)
            case ("GET", "comments"): return listComments(request, key)
            case ("POST", "reviews"): return createReview(request, key: key, pull: pull)
            case ("POST", "comments") where parts.count == 8 && parts[7] == "replies": return reply(request, key: key, to: Int(parts[6]) ?? 0)
            default: return json(404, ["message": "Not Found"])
            }
        }

        private func mintToken(_ request: HTTPRequest, installation: Int) -> HTTPResponse {
            guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "), validJWT(String(auth.dropFirst(7))) else {
                return json(401, ["message": "A JSON web token could not be decoded", "documentation_url": "https://docs.github.com/rest"])
            }
            // repositories and permissions are optional ("…the token will have access to all
            // repositories … the permissions of the installation"); an empty list of either is refused.
            let body = (try? JSONValue.parse(request.body)) ?? .null
            if case .array(let repositories)? = body["repositories"], repositories.isEmpty {
                return json(422, ["message": "repositories must not be empty"])
            }
            var permissions: [String: JSONValue] = [:]
            if case .object(let asked)? = body["permissions"] { permissions = asked }
            let allowed = state.withLockedValue { $0.granted }
            for (name, level) in permissions where allowed[name] != level.stringValue && !(allowed[name] == "write" && level.stringValue == "read") {
                return json(422, ["message": "The permissions requested are not granted to this installation."])
            }
            let token = "ghs_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            let expires = Date().addingTimeInterval(3600)
            let held = permissions.isEmpty ? allowed : permissions.compactMapValues(\.stringValue)
            state.withLockedValue { $0.tokens[token] = (installation, expires, held) }
            return json(201, ["token": token, "expires_at": expires.formatted(.iso8601), "permissions": held])
        }

        private func validJWT(_ jwt: String) -> Bool {
            let parts = jwt.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let header = decode(parts[0]), let payload = decode(parts[1]), let signature = decode(parts[2]) else { return false }
            guard (try? JSONValue.parse(header))?["alg"]?.stringValue == "RS256" else { return false }
            let valid = publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5)
            guard valid, let claims = try? JSONValue.parse(payload), case .number(let iat)? = claims["iat"], case .number(let exp)? = claims["exp"],
                claims["iss"]?.stringValue == issuer
            else { return false }
            let now = Date().timeIntervalSince1970
            // GitHub: exp at most 10 minutes after iat, not expired, iat not in the future.
            return iat.rounded() == iat && exp - iat <= 600 && exp > now && iat <= now + 60
        }

        private func decode(_ base64URL: String) -> Data? {
            var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while text.count % 4 != 0 { text += "=" }
            return Data(base64Encoded: text)
        }

        /// The rate-limit answer for a request whose token's installation is limited now
        /// (docs.github.com, "Rate limits for the REST API": 403 or 429; the primary limit with
        /// `x-ratelimit-remaining: 0`, the secondary one with its message and maybe `retry-after`).
        private func rateLimited(_ request: HTTPRequest) -> HTTPResponse? {
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

        private func authorized(_ request: HTTPRequest) -> Bool {
            guard let auth = request.header("authorization"), auth.hasPrefix("Bearer ") else { return false }
            let token = String(auth.dropFirst(7))
            return state.withLockedValue { $0.tokens[token].map { $0.expires > Date() } ?? false }
        }

        /// The permissions of the request's token.
        private func permissions(_ request: HTTPRequest) -> [String: String] {
            guard let auth = request.header("authorization"), auth.hasPrefix("Bearer ") else { return [:] }
            return state.withLockedValue { $0.tokens[String(auth.dropFirst(7))]?.permissions ?? [:] }
        }

        private func pullOrDiff(_ request: HTTPRequest, _ pull: Pull) -> HTTPResponse {
            if request.header("accept")?.contains("diff") == true {
                let diff = pull.fixture.diffText
                let lines = diff.split(separator: "\n", omittingEmptySubsequences: false).count
                if pull.forceTooLarge || lines > 20_000 || pull.fixture.files.count > 300 {
                    return json(
                        406,
                        [
                            "message": "Sorry, the diff exceeded the maximum number of lines (20000)",
                            "errors": [["resource": "PullRequest", "field": "diff", "code": "too_large"]],
                        ])
                }
                return HTTPResponse(status: 200, headers: ["content-type": "text/plain; charset=utf-8"], body: Data(diff.utf8))
            }
            guard case .object(var object) = pull.fixture.pull, case .object(var head)? = object["head"] else { return json(500, ["message": "bad fixture"]) }
            head["sha"] = .string(pull.head)
            object["head"] = .object(head)
            return HTTPResponse(
                status: 200, headers: ["content-type": "application/json"], body: (try? JSONEncoder().encode(JSONValue.object(object))) ?? Data())
        }

        private func files(_ request: HTTPRequest, _ pull: Pull) -> HTTPResponse {
            let all = (try? JSONSerialization.jsonObject(with: pull.fixture.data("files.json"))) as? [Any] ?? []
            // "Responses include a maximum of 3000 files."
            return paged(request, Array(all.prefix(3000)))
        }

        /// One page of `items` as GitHub pages lists: `per_page` (default 30, at most 100), `page`,
        /// and a `link` header with `rel="next"` while more remain.
        private func paged(_ request: HTTPRequest, _ items: [Any]) -> HTTPResponse {
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

        /// `GET /compare/{base}...{head}` between two commits the stand-in knows: the pull request's
        /// base or one of its commits. An unknown commit is a 404 (a force-pushed-away `before`).
        private func compare(_ repo: String, _ range: String) -> HTTPResponse {
            let ends = range.components(separatedBy: "...")
            let pulls = state.withLockedValue { $0.pulls.filter { $0.key.hasPrefix(repo + "#") }.map(\.value) }
            guard ends.count == 2, let pull = pulls.first(where: { $0.commits.contains(ends[1]) }) else { return json(404, ["message": "Not Found"]) }
            let (base, head) = (ends[0], ends[1])
            let baseSha = (try? JSONFieldReader(pull.fixture.pull).string("base.sha")) ?? ""
            let headFiles = pull.snapshots[head] ?? []
            let status: String
            var files: [Any]
            if base == baseSha {
                (status, files) = ("ahead", headFiles)
            } else if let from = pull.commits.firstIndex(of: base), let to = pull.commits.firstIndex(of: head) {
                // What changed between the two commits: files whose patch differs, either way round.
                let before = Self.patchesByPath(pull.snapshots[base] ?? [])
                let after = Self.patchesByPath(headFiles)
                let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
                files = headFiles.filter { changed.contains(Self.filename($0)) }
                files += (pull.snapshots[base] ?? []).filter { changed.contains(Self.filename($0)) && after[Self.filename($0)] == nil }
                status = from == to ? "identical" : from < to ? "ahead" : "behind"
            } else if pull.formerCommits.contains(base) {
                (status, files) = ("diverged", headFiles)
            } else {
                return json(404, ["message": "Not Found"])
            }
            // "The response includes up to 300 changed files for the entire comparison."
            return json(200, ["status": status, "ahead_by": 1, "files": Array(files.prefix(300))])
        }

        private static func filename(_ entry: Any) -> String { (entry as? [String: Any])?["filename"] as? String ?? "" }

        /// path → its patch ("" for a file without one), of one commit's file list.
        private static func patchesByPath(_ entries: [Any]) -> [String: String] {
            Dictionary(entries.map { (filename($0), ($0 as? [String: Any])?["patch"] as? String ?? "") }) { $1 }
        }

        /// GitHub's App manifest flow: the web form (`POST /settings/apps/new?state=…` or the
        /// organisation's) takes the `manifest` field and sends the browser to its `redirect_url`
        /// with a `code` and the `state`; `POST /app-manifests/{code}/conversions` trades the code,
        /// once and within an hour, for the new App's credentials.
        private func manifestFlow(_ request: HTTPRequest, parts: [String]) -> HTTPResponse? {
            let isForm =
                request.method == "POST"
                && (parts == ["settings", "apps", "new"] || (parts.count == 5 && parts[0] == "organizations" && parts[2...] == ["settings", "apps", "new"]))
            if isForm {
                let form =
                    URLComponents(string: "?" + String(decoding: request.body, as: UTF8.self).replacingOccurrences(of: "+", with: "%20"))?.queryItems ?? []
                let given = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "state" }?.value ?? ""
                guard let text = form.first(where: { $0.name == "manifest" })?.value, let manifest = try? JSONValue.parse(Data(text.utf8)),
                    manifest["name"]?.stringValue?.isEmpty == false, manifest["hook_attributes"]?["url"]?.stringValue != nil,
                    let redirect = manifest["redirect_url"]?.stringValue, var target = URLComponents(string: redirect)
                else {
                    return HTTPResponse(status: 422, headers: ["content-type": "text/html"], body: Data("<p>Invalid GitHub App configuration</p>".utf8))
                }
                let code = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
                state.withLockedValue { $0.manifestCodes[code] = (manifest, Date()) }
                target.queryItems = [URLQueryItem(name: "code", value: code), URLQueryItem(name: "state", value: given)]
                return HTTPResponse(status: 302, headers: ["location": target.url?.absoluteString ?? redirect], body: Data())
            }
            guard request.method == "POST", parts.count == 3, parts[0] == "app-manifests", parts[2] == "conversions" else { return nil }
            guard let entry = state.withLockedValue({ $0.manifestCodes.removeValue(forKey: parts[1]) }), Date().timeIntervalSince(entry.issued) < 3600 else {
                return json(404, ["message": "Not Found"])
            }
            guard let key = try? _RSA.Signing.PrivateKey(keySize: .bits2048) else { return json(500, ["message": "key generation failed"]) }
            let name = entry.manifest["name"]?.stringValue ?? "app"
            let slug = name.lowercased().replacingOccurrences(of: " ", with: "-")
            let id = state.withLockedValue { state -> Int in
                state.nextId += 1
                return state.nextId
            }
            return json(
                201,
                [
                    "id": id, "slug": slug, "name": name, "client_id": "Iv1.\(UUID().uuidString.prefix(8).lowercased())", "client_secret": UUID().uuidString,
                    "webhook_secret": UUID().uuidString.replacingOccurrences(of: "-", with: ""), "pem": key.pemRepresentation,
                    "html_url": "http://\(request.header("host") ?? "127.0.0.1")/apps/\(slug)", "owner": ["login": "octocat", "type": "User"],
                ])
        }

        /// The Checks API for check runs: create, update, list for a ref. Documented rules kept:
        /// "You must use a GitHub App" with `checks: write` (403 otherwise); `name` and `head_sha`
        /// required; `status` one of queued, in_progress, completed; "Required if you provide
        /// completed_at or a status of completed" for `conclusion`, one of its eight values;
        /// `output` needs `title` and `summary`, each text at most 65535 characters.
        private func checks(_ request: HTTPRequest, repoKey: String, parts: [String]) -> HTTPResponse? {
            let isList = request.method == "GET" && parts.count == 3 && parts[0] == "commits" && parts[2] == "check-runs"
            let isCreate = request.method == "POST" && parts == ["check-runs"]
            let isUpdate = request.method == "PATCH" && parts.count == 2 && parts[0] == "check-runs"
            guard isList || isCreate || isUpdate else { return nil }
            guard isList || permissions(request)["checks"] == "write" else { return json(403, ["message": "Resource not accessible by integration"]) }
            if isList {
                let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
                let name = query.first { $0.name == "check_name" }?.value
                let runs: [Any] = state.withLockedValue { state in
                    state.checkRuns.keys.sorted(by: >).compactMap { id -> [String: Any]? in
                        guard state.checkRunRepos[id] == repoKey, let run = state.checkRuns[id], run["head_sha"] as? String == parts[1] else { return nil }
                        return name == nil || run["name"] as? String == name ? run : nil
                    }
                }
                return json(200, ["total_count": runs.count, "check_runs": runs])
            }
            guard let body = try? JSONValue.parse(request.body), case .object(let fields) = body else { return json(400, ["message": "Problems parsing JSON"]) }
            var run: [String: Any] = [:]
            if isUpdate {
                guard let id = Int(parts[1]), let existing = state.withLockedValue({ $0.checkRunRepos[id] == repoKey ? $0.checkRuns[id] : nil }) else {
                    return json(404, ["message": "Not Found"])
                }
                guard (existing["app"] as? [String: Any])?["slug"] as? String == GitHubStandIn.appSlug else { return json(403, ["message": "Invalid app_id"]) }
                run = existing
            } else {
                guard let name = fields["name"]?.stringValue, !name.isEmpty else { return reject("name is required") }
                guard let sha = fields["head_sha"]?.stringValue, sha.count == 40 else { return reject("head_sha is required") }
                let known = state.withLockedValue { state in state.pulls.values.contains { $0.commits.contains(sha) || $0.formerCommits.contains(sha) } }
                guard known else { return reject("No commit found for SHA: \(sha)") }
                run = ["name": name, "head_sha": sha, "status": "queued", "app": ["id": GitHubStandIn.appId, "slug": GitHubStandIn.appSlug]]
            }
            if let name = fields["name"]?.stringValue { run["name"] = name }
            if let external = fields["external_id"]?.stringValue { run["external_id"] = external }
            if let status = fields["status"]?.stringValue {
                guard ["queued", "in_progress", "completed"].contains(status) else { return reject("status is not included in the list") }
                run["status"] = status
            }
            if fields["completed_at"]?.stringValue != nil { run["status"] = "completed" }
            if let conclusion = fields["conclusion"]?.stringValue {
                let known = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"]
                guard known.contains(conclusion) else { return reject("conclusion is not included in the list") }
                run["conclusion"] = conclusion
                run["status"] = "completed"
            }
            if run["status"] as? String == "completed", run["conclusion"] == nil { return reject("conclusion is required when status is completed") }
            if case .object(let output)? = fields["output"] {
                guard let title = output["title"]?.stringValue, let summary = output["summary"]?.stringValue else {
                    return reject("output requires title and summary")
                }
                for (key, text) in [("title", title), ("summary", summary), ("text", output["text"]?.stringValue ?? "")] where text.count > 65_535 {
                    return reject("output.\(key) is too long (maximum is 65535 characters)")
                }
                run["output"] = ["title": title, "summary": summary, "text": output["text"]?.stringValue ?? NSNull()]
            }
            nonisolated(unsafe) let saved = run
            let id = state.withLockedValue { state -> Int in
                let id: Int
                if isUpdate, let given = Int(parts[1]) {
                    id = given
                } else {
                    state.nextId += 1
                    id = state.nextId
                }
                var stored = saved
                stored["id"] = id
                state.checkRuns[id] = stored
                state.checkRunRepos[id] = repoKey
                return id
            }
            var answer = saved
            answer["id"] = id
            return json(isUpdate ? 200 : 201, answer)
        }

        /// Not GitHub: a person's comment on a served pull request, `{"pullRequest", "body", "login", "association"}`, for the demo.
        private func seedComment(_ request: HTTPRequest) -> HTTPResponse {
            guard let body = try? JSONValue.parse(request.body), let key = body["pullRequest"]?.stringValue, let text = body["body"]?.stringValue else {
                return json(400, ["message": "pullRequest and body are required"])
            }
            let id = state.withLockedValue { state -> Int in
                state.nextId += 1
                state.issueComments[key, default: []].append([
                    "id": state.nextId, "body": text, "author_association": body["association"]?.stringValue ?? "MEMBER",
                    "user": ["login": body["login"]?.stringValue ?? "octocat", "type": "User"],
                ])
                return state.nextId
            }
            return json(201, ["id": id])
        }

        /// Not GitHub: everything posted and refused, for the demo to print.
        private func recorded() -> HTTPResponse {
            let (reviews, rejected, conversation, reactions, checkRuns) = state.withLockedValue {
                ($0.reviews, $0.rejected, $0.issueComments, $0.reactions, $0.checkRuns.sorted { $0.key < $1.key }.map(\.value))
            }
            var out: [[String: Any]] = []
            for (key, list) in reviews.sorted(by: { $0.key < $1.key }) {
                for review in list {
                    let comments = review.comments.map { (try? JSONSerialization.jsonObject(with: JSONEncoder().encode($0))) ?? [:] }
                    out.append([
                        "pullRequest": key, "id": review.id, "event": review.event, "commit_id": review.commitId, "body": review.body, "comments": comments,
                    ])
                }
            }
            let comments = conversation.sorted { $0.key < $1.key }.flatMap { key, items in
                items.map { ["pullRequest": key, "id": $0["id"] ?? 0, "body": $0["body"] ?? "", "author": ($0["user"] as? [String: Any])?["login"] ?? ""] }
            }
            return json(200, ["reviews": out, "rejections": rejected, "comments": comments, "reactions": reactions, "checkRuns": checkRuns])
        }

        private func listReviews(_ request: HTTPRequest, _ key: String) -> HTTPResponse {
            let (reviews, others) = state.withLockedValue { ($0.reviews[key] ?? [], $0.othersReviews[key] ?? []) }
            let ours: [Any] = reviews.map {
                ["id": $0.id, "body": $0.body, "commit_id": $0.commitId, "state": $0.event == "PENDING" ? "PENDING" : "COMMENTED", "user": Self.bot]
            }
            return paged(request, others + ours)
        }

        private func listComments(_ request: HTTPRequest, _ key: String) -> HTTPResponse {
            paged(request, state.withLockedValue { $0.reviewComments[key] ?? [] })
        }

        /// The `user` of what the App posts: its bot account.
        static var bot: [String: Any] { ["login": "\(GitHubStandIn.appSlug)[bot]", "type": "Bot", "id": 9_000_001] }

        /// Conversation comments, review-comment lookups and reactions: nil when `parts` (after
        /// `repos/{owner}/{repo}`) is none of them.
        private func conversation(_ request: HTTPRequest, repoKey: String, parts: [String]) -> HTTPResponse? {
            // docs.github.com "Get repository permissions for a user": the legacy permission and the role.
            if request.method == "GET", parts.count == 3, parts[0] == "collaborators", parts[2] == "permission" {
                let role = state.withLockedValue { $0.roles[parts[1].lowercased()] } ?? "write"
                guard role != "unknown" else { return json(404, ["message": "Not Found"]) }
                let legacy = ["maintain": "write", "triage": "read"][role] ?? role
                return json(200, ["permission": legacy, "role_name": role, "user": ["login": parts[1]]])
            }
            switch (request.method, parts.count) {
            case ("GET", 3) where parts[0] == "issues" && parts[2] == "comments":
                // `since`: "only show results that were last updated after the given time" (ISO 8601).
                let since = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "since" }?.value
                var items = state.withLockedValue { $0.issueComments["\(repoKey)#\(parts[1])"] ?? [] }
                if let since {
                    guard let from = GitHubStandIn.date(since) else { return json(422, ["message": "Invalid value for `since`"]) }
                    items = items.filter { ($0["updated_at"] as? String).flatMap(GitHubStandIn.date).map { $0 >= from } ?? true }
                }
                let response = paged(request, items)
                let served = ((try? JSONSerialization.jsonObject(with: response.body)) as? [Any])?.count ?? 0
                state.withLockedValue { $0.listedIssueComments += served }
                return response
            case ("POST", 3) where parts[0] == "issues" && parts[2] == "comments":
                guard state.withLockedValue({ $0.pulls["\(repoKey)#\(parts[1])"] != nil }) else { return json(404, ["message": "Not Found"]) }
                return createIssueComment(request, key: "\(repoKey)#\(parts[1])")
            case ("PATCH", 3) where parts[0] == "issues" && parts[1] == "comments":
                return editIssueComment(request, repoKey: repoKey, id: Int(parts[2]) ?? 0)
            case ("GET", 3) where parts[0] == "pulls" && parts[1] == "comments":
                let id = Int(parts[2]) ?? 0
                let found = state.withLockedValue { state in
                    state.reviewComments.first { $0.key.hasPrefix(repoKey + "#") && $0.value.contains { $0["id"] as? Int == id } }?.value.first {
                        $0["id"] as? Int == id
                    }
                }
                return found.map { json(200, $0) } ?? json(404, ["message": "Not Found"])
            case ("POST", 4) where (parts[0] == "issues" || parts[0] == "pulls") && parts[1] == "comments" && parts[3] == "reactions":
                return react(request, repoKey: repoKey, kind: parts[0], id: Int(parts[2]) ?? 0)
            default:
                return nil
            }
        }

        /// "Body cannot be blank": GitHub refuses an issue comment without text (422), and bodies past 65,536 characters.
        private func createIssueComment(_ request: HTTPRequest, key: String) -> HTTPResponse {
            guard let body = try? JSONValue.parse(request.body), case .object = body else { return json(400, ["message": "Problems parsing JSON"]) }
            guard let text = body["body"]?.stringValue, !text.isEmpty else { return reject("Body cannot be blank") }
            guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
            let item = state.withLockedValue { state -> [String: Any] in
                state.nextId += 1
                let now = GitHubStandIn.timestamp(state.clock())
                let item: [String: Any] = [
                    "id": state.nextId, "body": text, "user": Self.bot, "author_association": "NONE",
                    "performed_via_github_app": ["id": GitHubStandIn.appId, "slug": GitHubStandIn.appSlug], "created_at": now, "updated_at": now,
                ]
                state.issueComments[key, default: []].append(item)
                return item
            }
            return json(201, item)
        }

        /// Only the author edits a comment here (an App may not rewrite people's words).
        private func editIssueComment(_ request: HTTPRequest, repoKey: String, id: Int) -> HTTPResponse {
            guard let body = try? JSONValue.parse(request.body), let text = body["body"]?.stringValue else {
                return json(400, ["message": "Problems parsing JSON"])
            }
            guard !text.isEmpty else { return reject("Body cannot be blank") }
            guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
            return state.withLockedValue { state -> HTTPResponse in
                for (key, items) in state.issueComments where key.hasPrefix(repoKey + "#") {
                    guard let index = items.firstIndex(where: { $0["id"] as? Int == id }) else { continue }
                    guard (items[index]["user"] as? [String: Any])?["login"] as? String == "\(GitHubStandIn.appSlug)[bot]" else {
                        return json(403, ["message": "Resource not accessible by integration"])
                    }
                    state.issueComments[key]?[index]["body"] = text
                    state.issueComments[key]?[index]["updated_at"] = GitHubStandIn.timestamp(state.clock())
                    return json(200, state.issueComments[key]?[index] ?? [:])
                }
                return json(404, ["message": "Not Found"])
            }
        }

        /// GitHub's reaction contents; another is 422. A repeated reaction answers 200 with the existing one.
        private func react(_ request: HTTPRequest, repoKey: String, kind: String, id: Int) -> HTTPResponse {
            let allowed: Set<String> = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]
            guard let content = (try? JSONValue.parse(request.body))?["content"]?.stringValue, allowed.contains(content) else {
                return reject("content must be one of +1, -1, laugh, confused, heart, hooray, rocket, eyes")
            }
            return state.withLockedValue { state -> HTTPResponse in
                let store = kind == "issues" ? state.issueComments : state.reviewComments
                guard store.contains(where: { $0.key.hasPrefix(repoKey + "#") && $0.value.contains { $0["id"] as? Int == id } }) else {
                    return json(404, ["message": "Not Found"])
                }
                let entry = "\(kind) \(id) \(content)"
                if state.reactions.contains(entry) { return json(200, ["content": content]) }
                state.reactions.append(entry)
                return json(201, ["content": content])
            }
        }

        /// `POST /pulls/{n}/comments/{id}/replies`: the id must be a top-level review comment of this
        /// pull request ("Replies to replies are not supported"), and a body is required.
        private func reply(_ request: HTTPRequest, key: String, to root: Int) -> HTTPResponse {
            guard let text = (try? JSONValue.parse(request.body))?["body"]?.stringValue, !text.isEmpty else { return reject("body is required") }
            guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
            return state.withLockedValue { state -> HTTPResponse in
                guard let target = state.reviewComments[key]?.first(where: { $0["id"] as? Int == root }) else { return json(404, ["message": "Not Found"]) }
                guard target["in_reply_to_id"] == nil else {
                    state.rejected.append("Replies to replies are not supported")
                    return json(422, ["message": "Validation Failed", "errors": ["Replies to replies are not supported"]])
                }
                state.nextId += 1
                let item: [String: Any] = [
                    "id": state.nextId, "body": text, "path": target["path"] ?? "", "in_reply_to_id": root, "user": Self.bot,
                    "author_association": "NONE", "performed_via_github_app": ["id": GitHubStandIn.appId, "slug": GitHubStandIn.appSlug],
                ]
                state.reviewComments[key, default: []].append(item)
                return json(201, item)
            }
        }

        private func reject(_ reason: String) -> HTTPResponse {
            state.withLockedValue { $0.rejected.append(reason) }
            return json(422, ["message": "Unprocessable Entity", "errors": [reason], "status": "422"])
        }

        private func createReview(_ request: HTTPRequest, key: String, pull: Pull) -> HTTPResponse {
            guard let body = try? JSONValue.parse(request.body), case .object = body else { return json(400, ["message": "Problems parsing JSON"]) }
            let commit = body["commit_id"]?.stringValue ?? pull.head
            // "commit_id: The SHA of the commit that needs a review" — any commit of the pull request.
            guard pull.commits.contains(commit) else { return reject("commit_id is not part of the pull request") }
            // "By leaving this blank, you set the review action state to PENDING."
            let event = body["event"]?.stringValue ?? "PENDING"
            guard ["COMMENT", "APPROVE", "REQUEST_CHANGES", "PENDING"].contains(event) else {
                return reject("event must be COMMENT, APPROVE or REQUEST_CHANGES")
            }
            let text = body["body"]?.stringValue ?? ""
            guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
            // "Required when using REQUEST_CHANGES or COMMENT for the event parameter."
            guard event == "APPROVE" || event == "PENDING" || !text.isEmpty else { return reject("Body is required for \(event)") }
            var comments: [JSONValue] = []
            if case .array(let items)? = body["comments"] { comments = items }
            for comment in comments {
                guard let path = comment["path"]?.stringValue, let sides = pull.lines[path] else { return reject("Path could not be resolved") }
                // "The text of a single comment … body: string, Required."
                guard let commentBody = comment["body"]?.stringValue, !commentBody.isEmpty else { return reject("comment body is required") }
                guard commentBody.count <= 65_536 else { return reject("comment body is too long") }
                if case .number(let position)? = comment["position"], comment["line"] == nil {
                    // The deprecated `position`: lines down from the file's first `@@` line, within its patch.
                    guard position >= 1, Int(position) < pull.patchLines[path, default: 0] else { return reject("Position could not be resolved") }
                    continue
                }
                guard case .number(let line)? = comment["line"] else { return reject("line is required") }
                let side = comment["side"]?.stringValue ?? "RIGHT"
                guard let hunk = sides[side]?[Int(line)] else { return reject("Line could not be resolved") }
                if case .number(let start)? = comment["start_line"] {
                    // "start_side … can be LEFT or RIGHT": a range may start on the deleted side and end on the added one.
                    let startSide = comment["start_side"]?.stringValue ?? side
                    guard startSide != side || start < line, let startHunk = sides[startSide]?[Int(start)], startHunk == hunk else {
                        return reject("start_line must be part of the same hunk as the line.")
                    }
                }
            }
            let id = state.withLockedValue { state -> Int in
                state.nextId += 1
                let reviewId = state.nextId
                state.reviews[key, default: []].append(RecordedReview(id: reviewId, commitId: commit, event: event, body: text, comments: comments))
                for comment in comments {
                    state.nextId += 1
                    var item: [String: Any] = [
                        "id": state.nextId, "pull_request_review_id": reviewId, "body": comment["body"]?.stringValue ?? "",
                        "path": comment["path"]?.stringValue ?? "", "commit_id": commit, "user": Self.bot, "author_association": "NONE",
                        "performed_via_github_app": ["id": GitHubStandIn.appId, "slug": GitHubStandIn.appSlug],
                    ]
                    if case .number(let line)? = comment["line"] { item["line"] = Int(line) }
                    item["diff_hunk"] = "@@ (the stand-in keeps no hunk text) @@"
                    state.reviewComments[key, default: []].append(item)
                }
                return reviewId
            }
            return json(200, ["id": id, "state": "COMMENTED", "commit_id": commit, "body": text])
        }
    }
}
