import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing
import _CryptoExtras

/// What an operator meets first: `--help`, `--version`, readiness, and a clean shutdown.
@Suite struct OperabilityTests {
    static let executables: [(String, EnvironmentHelp.Reader?)] = [
        ("webhook-ingest", .ingest), ("review-job", .reviewJob), ("redis-rest", .redisREST), ("reviewctl", nil),
    ]

    @Test func everyExecutableHelpsOnceAndKnowsItsVersion() async throws {
        for (name, reader) in Self.executables {
            let help = try await ProcessRun.run(try Tools.binary(name), arguments: ["--help"], environment: ["PATH": "/usr/bin:/bin"])
            #expect(help.exitCode == 0, "\(name): \(help.stderrText)")
            #expect(help.stdoutText.components(separatedBy: "USAGE:").count == 2, "\(name) prints its usage once")
            if let reader {
                for variable in EnvironmentHelp.all where variable.readers.contains(reader) {
                    #expect(help.stdoutText.contains("  \(variable.name)\n"), "\(name) --help names \(variable.name)")
                }
                #expect(help.stdoutText.contains("Environment:"))
            }
            if reader == .ingest || reader == .reviewJob { #expect(help.stdoutText.contains("serve: HTTP on $HOST:$PORT")) }
            let version = try await ProcessRun.run(try Tools.binary(name), arguments: ["--version"], environment: ["PATH": "/usr/bin:/bin"])
            #expect(version.exitCode == 0 && version.stdoutText == Build.version + "\n", "\(name): \(version.stdoutText)")
        }
        // Built from a git checkout: the version names its commit.
        #expect(Build.version.range(of: #"\([0-9a-f]{12}\)$|unknown commit"#, options: .regularExpression) != nil, "\(Build.version)")
        #expect(Build.userAgent.hasPrefix("pr-review/") && !Build.userAgent.contains(" "))
        let wrong = try await ProcessRun.run(try Tools.binary("review-job"), arguments: ["bogus"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(wrong.exitCode != 0 && wrong.stderrText.contains("'bogus' is invalid"), "\(wrong.stderrText)")
    }

    /// The help lists every variable the code reads, and nothing it does not.
    @Test func theEnvironmentListIsTheCodes() throws {
        let pattern = try NSRegularExpression(pattern: #"(?:required|optional|int|seconds|bool|list|url|choice)\("([A-Z0-9_]+)""#)
        var read = Set<String>()
        let sources = Tools.packageRoot.appendingPathComponent("Sources")
        for case let file as String in FileManager.default.enumerator(atPath: sources.path)! where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                read.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        let listed = Set(EnvironmentHelp.all.map(\.name))
        // Any variable NAME may be given as NAME_FILE (EnvironmentReader reads the file); --help names the key's.
        read.formUnion(read.map { $0 + "_FILE" }.filter(listed.contains))
        #expect(read.subtracting(listed).isEmpty, "read but not in --help: \(read.subtracting(listed).sorted())")
        #expect(listed.subtracting(read).isEmpty, "in --help but never read: \(listed.subtracting(read).sorted())")
    }

    /// Fifty probes at once cost one check, and a stranger reads a fixed reason, not the queue's host.
    @Test func concurrentProbesShareOneCheckAndSayLittle() async throws {
        let checks = CallCounter()
        let (gate, opener) = AsyncStream.makeStream(of: Void.self)
        let (started, starting) = AsyncStream.makeStream(of: Void.self)
        let cache = ReadinessCache(clock: ManualClock().wallClock) {
            _ = checks.next()
            starting.yield()
            for await _ in gate { break }
            return "queue_unreachable: redis.internal.example:6379 refused the connection"
        }
        let answers = await withTaskGroup(of: HTTPResponse.self) { group in
            for _ in 0..<50 { group.addTask { await cache.answer() } }
            // The check is held until it has begun: the probes meanwhile find it in flight, and
            // any after it find its answer (the clock does not move).
            group.addTask {
                for await _ in started { break }
                opener.yield()
                opener.finish()
                return await cache.answer()
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(checks.value == 1)
        #expect(answers.count == 51 && answers.allSatisfy { $0.status == 503 })
        let body = String(decoding: answers[0].body, as: UTF8.self)
        #expect(body.contains("the queue does not answer") && !body.contains("redis.internal"), "\(body)")
    }

    @Test func readinessFollowsTheQueue() async throws {
        try await RedisHarness.with { harness in
            var env = harness.environment()
            env.merge(["PATH": "/usr/bin:/bin", "GITHUB_WEBHOOK_SECRET": "s", "HOST": "127.0.0.1"]) { $1 }
            func probe(_ served: ServedProcess, _ path: String) async throws -> HTTPResponse {
                try await AsyncHTTPClientTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(served.port)\(path)")!, timeout: 30))
            }
            let up = try await ServedProcess.start(try Tools.binary("webhook-ingest"), environment: env)
            let ready = try await probe(up, "/readyz")
            await up.stop()
            await harness.stopRedis()
            let down = try await ServedProcess.start(try Tools.binary("webhook-ingest"), environment: env)
            let notReady = try await probe(down, "/readyz")
            let alive = try await probe(down, "/healthz")
            await down.stop()
            #expect(ready.status == 200 && String(decoding: ready.body, as: UTF8.self).contains("ready"))
            #expect(
                notReady.status == 503 && String(decoding: notReady.body, as: UTF8.self).contains("not ready"),
                "\(String(decoding: notReady.body, as: UTF8.self))")
            #expect(alive.status == 200, "liveness does not depend on Redis")
        }
    }

    /// review-job serving a drain when SIGTERM comes: with a short grace the job's step is cut and
    /// its lease given back (claimable at once, not in 120 s); with time enough, it completes.
    @Test(arguments: [false, true])
    func sigtermDuringAReviewLeavesTheJobDoneOrClaimable(_ enoughTime: Bool) async throws {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let job = app.job(for: PullRequestFixture.named("ky-small-single-file-edit"))
            let keyFile = harness.folder.appendingPathComponent("app.pem")
            try GitHubTestApp.key.pkcs8PEMRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
            var env = harness.environment(queue: "shutdown")
            env.merge([
                "PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "GITHUB_APP_CLIENT_ID": GitHubTestApp.issuer, "GITHUB_APP_PRIVATE_KEY_FILE": keyFile.path,
                "GITHUB_API_URL": app.standIn.url.absoluteString, "SHUTDOWN_GRACE_SECONDS": enoughTime ? "60" : "0.5", "QUEUE_LEASE_SECONDS": "120",
            ]) { $1 }
            let config = try IngestConfig.load(EnvironmentReader(env.merging(["GITHUB_WEBHOOK_SECRET": "s"]) { $1 }))
            let queue = RedisJobQueue(redis: harness.client(), settings: config.queue)
            _ = try await queue.enqueue(job, now: Date())
            // The review stops at its first GitHub call, held until the test lets it go.
            let (arrived, signal) = AsyncStream.makeStream(of: Void.self)
            app.standIn.stall(pathSuffix: "/pulls/731", method: "GET") { signal.yield() }
            let served = try await ServedProcess.start(try Tools.binary("review-job"), environment: env)
            let port = served.port
            let drain = Task {
                try await AsyncHTTPClientTransport().send(
                    HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(port)/")!, body: Data(#"{"action":"drain"}"#.utf8), timeout: 120))
            }
            for await _ in arrived { break }
            served.send(SIGTERM)
            if enoughTime { app.standIn.releaseStalls() }
            let status = await served.waitForExit()
            app.standIn.releaseStalls()
            let answer = try? await drain.value
            let report = answer.flatMap { try? ReviewJob.decoder.decode(DrainReport.self, from: $0.body) }
            let claim = try await queue.claim(now: Date())
            await app.stop()
            #expect(status == 0, "a graceful exit")
            if enoughTime {
                #expect(report?.jobs.map(\.outcome) == [.completed], "\(String(decoding: answer?.body ?? Data(), as: UTF8.self))")
                #expect(claim == .empty)
            } else {
                #expect(report?.jobs.map(\.outcome) == [.released], "\(String(decoding: answer?.body ?? Data(), as: UTF8.self))")
                guard case .claimed(let again) = claim else {
                    Issue.record("the job is not claimable at once: \(claim)")
                    return
                }
                #expect(again.id == job.id)
            }
        }
    }
}
