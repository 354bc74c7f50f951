import Foundation
import Logging
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing
import _CryptoExtras

@Suite struct GitHubAppAuthTests {
    static let openssl = try? Tools.path(of: "openssl", env: "OPENSSL")

    /// A JWT signed with the test key read as PKCS#1 or PKCS#8, split into its three parts.
    static func signedJWT(_ format: String) throws -> [String] {
        let key = GitHubTestApp.key
        let pem = format == "pkcs1" ? key.pemRepresentation : key.pkcs8PEMRepresentation
        #expect(pem.contains(format == "pkcs1" ? "BEGIN RSA PRIVATE KEY" : "BEGIN PRIVATE KEY"))
        let jwt = try GitHubAppSigner(issuer: "Iv1.abc", pem: pem).jwt(now: Date(timeIntervalSince1970: 1_764_000_000))
        let parts = jwt.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        return parts
    }

    static func base64URL(_ text: String) -> Data {
        var padded = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded) ?? Data()
    }

    @Test(arguments: ["pkcs1", "pkcs8"])
    func jwtVerifiesWithThePublicKey(_ format: String) throws {
        let parts = try Self.signedJWT(format)
        let header = try JSONValue.parse(Self.base64URL(parts[0]), what: "header")
        #expect(header == .object(["alg": .string("RS256"), "typ": .string("JWT")]))
        let payload = try JSONValue.parse(Self.base64URL(parts[1]), what: "payload")
        // iat 60 s in the past (clock drift), exp 9 minutes later: integers, as GitHub requires.
        #expect(payload == .object(["iat": .number(1_763_999_940), "exp": .number(1_764_000_540), "iss": .string("Iv1.abc")]))
        let signature = _RSA.Signing.RSASignature(rawRepresentation: Self.base64URL(parts[2]))
        #expect(GitHubTestApp.key.publicKey.isValidSignature(signature, for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5))
    }

    @Test(.enabled(if: openssl != nil, "needs openssl (apt-get install openssl)"), arguments: ["pkcs1", "pkcs8"])
    func jwtVerifiesWithOpenSSL(_ format: String) throws {
        let parts = try Self.signedJWT(format)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("jwt-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try GitHubTestApp.key.publicKey.pemRepresentation.write(to: folder.appendingPathComponent("pub.pem"), atomically: true, encoding: .utf8)
        try Data((parts[0] + "." + parts[1]).utf8).write(to: folder.appendingPathComponent("input"))
        try Self.base64URL(parts[2]).write(to: folder.appendingPathComponent("sig"))
        let run = try ProcessRun.runBlocking(
            URL(fileURLWithPath: try #require(Self.openssl)),
            arguments: [
                "dgst", "-sha256", "-verify", folder.appendingPathComponent("pub.pem").path,
                "-signature", folder.appendingPathComponent("sig").path, folder.appendingPathComponent("input").path,
            ],
            environment: [:]
        )
        #expect(run.stdoutText.contains("Verified OK"), "\(run.stdoutText)\(run.stderrText)")
    }

    @Test func malformedKeyIsAConfigurationError() {
        #expect(throws: ReviewError.badConfig("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key (PKCS#1 or PKCS#8)")) {
            try GitHubAppSigner(issuer: "1", pem: "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----")
        }
    }
}

@Suite struct GitHubReviewTests {
    static let fixtures = PullRequestFixture.all.map(\.name)

    @Test(arguments: fixtures)
    func reviewLandsWithoutRejectionAndIsNotRepeated(_ name: String) async throws {
        let app = try await GitHubTestApp.start()
        let fixture = PullRequestFixture.named(name)
        let job = app.job(for: fixture)
        let key = "\(job.repository.owner)/\(job.repository.name)#\(job.pullRequest.number)"
        let reviewer = PullRequestReviewer(github: app.client(), model: QuotingModel())
        let first = try await reviewer.review(job, logger: .quiet)
        let again = try await reviewer.review(job, logger: .quiet)
        let reviews = app.standIn.reviews(key)
        let rejections = app.standIn.rejections
        await app.stop()

        #expect(rejections.isEmpty, "\(rejections)")
        #expect(first.status == .posted)
        #expect(reviews.count == 1)
        #expect(reviews.first?.event == "COMMENT" && reviews.first?.commitId == job.head)
        #expect(reviews.first?.body.contains(ReviewMarker.review(commit: job.head)) == true)
        #expect((reviews.first?.body.count ?? 0) <= 65_536)
        #expect(again.status == .alreadyReviewed)
        let reviewable = DiffParser.parse(fixture.diffText).files.filter { ReviewScope.skipReason($0) == nil }
        #expect((first.comments > 0) == !reviewable.isEmpty, "inline comments on \(name) exactly when it has reviewable files")
        // Every quoted finding anchors inline; only what exceeds 30 comments goes to the body.
        #expect(first.comments <= 30)
        #expect(first.bodyFindings == 0 || first.comments == 30, "findings in the body only past 30 inline comments")
        #expect(reviews.first?.body.contains("was not found") == false)
        for comment in reviews.first?.comments ?? [] {
            #expect(comment["position"] == nil && comment["line"] != nil && comment["side"] != nil)
        }
    }

    @Test func newHeadWithSameFindingsPostsNothingNew() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-multi-file-feature-network-error"))
        let reviewer = PullRequestReviewer(github: app.client(), model: QuotingModel())
        #expect(try await reviewer.review(job, logger: .quiet).status == .posted)
        // A push that changes nothing the model comments on: same fingerprints, nothing re-posted.
        let pushed = String(repeating: "c", count: 40)
        app.standIn.moveHead("sindresorhus/ky#842", to: pushed)
        var next = job
        next.work = .review(.init(head: pushed, base: try #require(job.review).base))
        let second = try await reviewer.review(next, logger: .quiet)
        let count = app.standIn.reviews("sindresorhus/ky#842").count
        await app.stop()
        #expect(second.status == .nothingNew && second.duplicatesSkipped > 0)
        #expect(count == 1)
    }

    @Test func pushDuringTheJobEndsItStale() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-small-single-file-edit"))
        struct PushingModel: ReviewModel {
            let standIn: GitHubStandIn
            func review(_ input: ReviewInput) async throws -> ModelReview {
                standIn.moveHead("sindresorhus/ky#731", to: String(repeating: "d", count: 40))
                return try await QuotingModel().review(input)
            }
        }
        let outcome = try await PullRequestReviewer(github: app.client(), model: PushingModel(standIn: app.standIn)).review(job, logger: .quiet)
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        #expect(outcome.status == .stale && outcome.reason?.contains("head moved") == true)
        #expect(reviews.isEmpty)
    }

    @Test func tooLargeDiffIsRebuiltFromPaginatedFiles() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-multi-file-feature-network-error"))
        app.standIn.forceTooLarge("sindresorhus/ky#842")
        let (diff, notReviewed) = try await app.client().diff(job.pullRequest)
        let direct = DiffParser.parse(PullRequestFixture.named("ky-multi-file-feature-network-error").diffText)
        let log = app.standIn.requestLog
        await app.stop()
        #expect(diff.files.map(\.path) == direct.files.map(\.path))
        #expect(diff.files.map(\.additions) == direct.files.map(\.additions))
        #expect(notReviewed.isEmpty)
        #expect(log.filter { $0.hasSuffix("/files") }.count == 1, "15 files fit one page of 100")
    }

    @Test func rejectedInlineCommentsAreFoldedIntoTheBody() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-small-single-file-edit"))
        app.standIn.script(
            .init(method: "POST", pathSuffix: "/reviews", status: 422, body: #"{"message":"Unprocessable Entity","errors":["Line could not be resolved"]}"#))
        let outcome = try await PullRequestReviewer(github: app.client(), model: QuotingModel()).review(job, logger: .quiet)
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        #expect(outcome.status == .posted && outcome.foldedAfter422)
        #expect(reviews.count == 1 && reviews[0].comments.isEmpty)
        #expect(reviews[0].body.contains("GitHub refused them inline"))
    }

    @Test func forcePushWhilePostingEndsItStale() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-small-single-file-edit"))
        let standIn = app.standIn
        // The push lands between the reviewer's last head check and GitHub handling the review.
        standIn.stall(pathSuffix: "/reviews", method: "POST") {
            standIn.forcePush("sindresorhus/ky#731", to: String(repeating: "e", count: 40))
            standIn.releaseStalls()
        }
        let outcome = try await PullRequestReviewer(github: app.client(), model: QuotingModel()).review(job, logger: .quiet)
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        #expect(outcome.status == .stale && outcome.reason?.contains("eeeeeeeeeeee") == true)
        #expect(reviews.isEmpty)
    }

    @Test func refusedReviewFailsWithGitHubsReasons() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-small-single-file-edit"))
        let refusal =
            #"{"message":"Validation Failed","errors":[{"resource":"PullRequestReview","field":"body","code":"too_long"},"Body is too long (maximum is 65536 characters)"]}"#
        app.standIn.script(.init(method: "POST", pathSuffix: "/reviews", status: 422, body: refusal, times: 2))
        await #expect {
            try await PullRequestReviewer(github: app.client(), model: QuotingModel()).review(job, logger: .quiet)
        } throws: { error in
            let message = (error as? ReviewError)?.message ?? ""
            return (error as? ReviewError)?.isRetryable == false && message.contains("Validation Failed; body too_long; Body is too long")
        }
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        #expect(reviews.isEmpty)
    }

    @Test func installationTokenIsMintedOnceAndReusedAcrossProcessesViaRedis() async throws {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let queue = RedisJobQueue(redis: harness.client(), settings: QueueSettings())
            let job = app.job(for: .named("ky-small-single-file-edit"))
            _ = try await app.client(queue: queue).pullRequest(job.pullRequest)
            _ = try await app.client(queue: queue).pullRequest(job.pullRequest)  // a "cold" client: token from Redis
            let mints = app.standIn.requestLog.filter { $0.hasSuffix("/access_tokens") }.count
            await app.stop()
            #expect(mints == 1)
        }
    }

    /// A burst of jobs for a few repositories: one mint per repository, however many ask at once.
    @Test func aBurstMintsOncePerRepository() async throws {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let queue = RedisJobQueue(redis: harness.client(), settings: QueueSettings())
            let tokens = InstallationTokens(
                signer: app.signer, apiURL: app.standIn.url, transport: AsyncHTTPClientTransport(), cache: InstallationTokenCache(queue: queue))
            let repositories = (1...5).map { "octo-org/repo-\($0)" }
            let minted = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for call in 0..<50 {
                    let repository = repositories[call % repositories.count]
                    group.addTask { (repository, try await tokens.token(installationId: 42, repository: repository)) }
                }
                return try await group.reduce(into: [String: Set<String>]()) { $0[$1.0, default: []].insert($1.1) }
            }
            let mints = app.standIn.requestLog.filter { $0.hasSuffix("/access_tokens") }.count
            await app.stop()
            #expect(mints == repositories.count)
            #expect(minted.count == repositories.count && minted.values.allSatisfy { $0.count == 1 })
        }
    }
}

/// GitHub's failures during a drain: rate limits and 5xx reschedule, a missing PR fails at once.
@Suite struct GitHubFaultTests {
    func drainOnce(
        fault: GitHubStandIn.Fault?, fixture: String = "ky-small-single-file-edit", missing: Bool = false
    ) async throws -> (DrainReport, JobRecord?, Int) {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            var settings = QueueSettings()
            settings.name = "faults"
            let queue = RedisJobQueue(redis: harness.client(), settings: settings)
            var job = app.job(for: .named(fixture))
            if missing { job.pullRequest.number = 999_999 }
            if let fault { app.standIn.script(fault) }
            _ = try await queue.enqueue(job, now: Date())
            let clock = ManualClock()
            let drainer = JobDrainer(
                queue: queue, processor: PullRequestReviewer(github: app.client(queue: queue), model: QuotingModel()), concurrency: 1, deadlineMargin: 0,
                clock: clock.wallClock, jitter: { 0 })
            let report = try await drainer.drain(deadline: clock.now + 60, logger: .quiet)
            let record = try await queue.inspect(id: job.id, now: clock.now)
            let posted = app.standIn.reviews("\(job.repository.owner)/\(job.repository.name)#\(job.pullRequest.number)").count
            await app.stop()
            return (report, record, posted)
        }
    }

    @Test func rateLimitWithRetryAfterReschedules() async throws {
        let (report, record, posted) = try await drainOnce(fault: .init(pathSuffix: "/pulls/731", status: 429, headers: ["retry-after": "90"]))
        #expect(report.jobs.map(\.outcome) == [.retrying])
        #expect(record?.state == .delayed && record?.lastError?.hasPrefix("github_rate_limited") == true)
        #expect(report.nextDueAt.map { $0.timeIntervalSince(record?.scheduledAt ?? .distantPast) } == 0)
        #expect(posted == 0)
    }

    @Test func secondaryRateLimitReschedulesAtLeastAMinute() async throws {
        let (report, record, _) = try await drainOnce(
            fault: .init(
                pathSuffix: "/pulls/731", status: 403,
                body: #"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#))
        #expect(report.jobs.map(\.outcome) == [.retrying])
        #expect(record?.state == .delayed)
    }

    @Test func badGatewayReschedules() async throws {
        let (report, record, _) = try await drainOnce(fault: .init(pathSuffix: "/pulls/731", status: 502, body: "<html>bad gateway</html>"))
        #expect(report.jobs.map(\.outcome) == [.retrying])
        #expect(record?.lastError?.hasPrefix("github_unavailable") == true)
    }

    @Test func missingPullRequestFailsWithoutRetry() async throws {
        let (report, record, _) = try await drainOnce(fault: nil, missing: true)
        #expect(report.jobs.map(\.outcome) == [.failed])
        #expect(record?.state == .failed && record?.error?.hasPrefix("github_not_found") == true && record?.attemptsSpent == 1)
    }
}

extension GitHubTestApp {
    func stop() async { await standIn.stop() }
}
