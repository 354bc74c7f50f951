import Foundation
import Logging
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// The reliability suite. CI runs it with small counts; `make reliability` sets RELIABILITY_SCALE=10.
@Suite struct ReliabilityTests {
    static let scale = Int(ProcessInfo.processInfo.environment["RELIABILITY_SCALE"] ?? "1") ?? 1

    /// A deterministic generator, so a failing case can be reproduced from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func mutate(_ data: Data, _ rng: inout SplitMix) -> Data {
        var bytes = [UInt8](data)
        switch rng.next() % 8 {
        case 0: for _ in 0..<Int(rng.next() % 16 + 1) where !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(1 << (rng.next() % 8)) }
        case 1: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(max(1, bytes.count)))))
        case 2:
            let text = String(decoding: bytes, as: UTF8.self)
            let swaps = [
                ("\"number\": 2", "\"number\": \"2\""), ("\"draft\": false", "\"draft\": \"no\""), ("\"id\": 1,", "\"id\": null,"),
                ("\"sha\": \"", "\"sha\": [\""), ("{", "["),
            ]
            let (from, to) = swaps[Int(rng.next() % UInt64(swaps.count))]
            bytes = Array(text.replacingOccurrences(of: from, with: to).utf8)
        case 3: bytes = Array("{\"action\":\"opened\",\"pull_request\":{\"title\":\"\(String(repeating: "x", count: Int(rng.next() % 2_000_000)))\"}}".utf8)
        case 4: bytes = Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        case 5: bytes.insert(contentsOf: [0xFF, 0xFE, 0xC3], at: Int(rng.next() % UInt64(bytes.count + 1)))
        case 6: bytes = Array(String(repeating: "{\"a\":", count: 5_000).utf8) + [0x31] + Array(String(repeating: "}", count: 5_000).utf8)
        default: bytes.shuffle(using: &rng)
        }
        return Data(bytes)
    }

    @Test func fuzzedDeliveriesNeverCrashIngest() async throws {
        try await RedisHarness.with { harness in
            var env = harness.environment(queue: "fuzz")
            env["GITHUB_WEBHOOK_SECRET"] = WebhookFixtures.secret
            let ingest = WebhookIngestHandler(config: try IngestConfig.load(EnvironmentReader(env)))
            let seeds = try WebhookFixtures.all().map { try WebhookFixtures.payload($0.event, $0.file) }
            // A refused delivery never suspends: the loop runs on a thread of its own, so it holds
            // none of the cooperative pool's threads (the in-process REST bridge answers on those).
            let statuses = await withTaskExecutorPreference(OwnThreadExecutor(label: "fuzzed deliveries")) {
                var rng = SplitMix(state: 2026)
                var statuses: [Int: Int] = [:]
                for round in 0..<(1_000 * Self.scale) {
                    let original = seeds[round % seeds.count]
                    let body = Self.mutate(original, &rng)
                    var headers = WebhookFixtures.headers(event: ["pull_request", "ping", "installation", "issues", "bogus"][Int(rng.next() % 5)], body: body)
                    switch rng.next() % 6 {
                    case 0: headers["X-Hub-Signature-256"] = nil
                    case 1: headers["X-GitHub-Event"] = String(repeating: "e", count: Int(rng.next() % 5000))
                    case 2: headers["X-GitHub-Delivery"] = ""
                    case 3: headers["X-Hub-Signature-256"] = "sha256=" + String(repeating: "0", count: 64)
                    default: break
                    }
                    let response = await ingest.ingest(WebhookRequest(headers: headers, body: body), logger: .quiet)
                    statuses[response.statusCode, default: 0] += 1
                    #expect((200..<500).contains(response.statusCode), "round \(round): \(response)")
                    #expect((try? JSONValue.parse(response.jsonBody)) != nil)
                }
                return statuses
            }
            #expect(statuses.values.reduce(0, +) == 1_000 * Self.scale)
        }
    }

    @Test func fuzzedDiffsNeverCrashTheParser() async throws {
        // CPU-bound for seconds: on its own thread, not one of the cooperative pool's two.
        try await onOwnThread {
            var rng = SplitMix(state: 7)
            let diffs = PullRequestFixture.all.map { Data($0.diffText.utf8) }
            for round in 0..<(1_000 * Self.scale) {
                let mutated = String(decoding: Self.mutate(diffs[round % diffs.count], &rng), as: UTF8.self)
                let diff = DiffParser.parse(mutated)
                let index = HunkIndex(diff)
                for file in diff.files {
                    for hunk in file.hunks {
                        // Each side's numbers count up one by one from the hunk's start; each line is on the sides its kind says.
                        let old = hunk.lines.filter { $0.kind != .added }.map(\.oldLine)
                        let new = hunk.lines.filter { $0.kind != .deleted }.map(\.newLine)
                        #expect(old == old.indices.map { hunk.oldStart + $0 }, "round \(round): old numbers of \(file.path)")
                        #expect(new == new.indices.map { hunk.newStart + $0 }, "round \(round): new numbers of \(file.path)")
                        #expect(hunk.lines.allSatisfy { ($0.kind == .added) == ($0.oldLine == nil) && ($0.kind == .deleted) == ($0.newLine == nil) })
                    }
                }
                for file in diff.files.prefix(3) {
                    let quote = file.hunks.first?.lines.first.map { String($0.code) } ?? "x"
                    // Wherever a finding lands, it is a range GitHub accepts.
                    if case .lines(let path, let side, let start, let end) = Anchorer(index: index).anchor(
                        Finding(path: file.path, line: 3, quote: quote, severity: .nit, title: "t", body: "b"))
                    {
                        #expect(index.isValidRange(path: path, start: start, end: end, side: side), "round \(round): \(path) \(start)-\(end)")
                    }
                }
            }
        }
    }

    @Test func queueOutageNeverAcknowledgesAndLoses() async throws {
        try await RedisHarness.with { harness in
            var env = harness.environment(queue: "outage")
            env["GITHUB_WEBHOOK_SECRET"] = WebhookFixtures.secret
            let ingest = WebhookIngestHandler(config: try IngestConfig.load(EnvironmentReader(env)))
            let template = String(decoding: try WebhookFixtures.payload("pull_request", "opened.payload.json"), as: UTF8.self)
            var acknowledged: [String] = []
            let deliveries = 40 * Self.scale
            for n in 0..<deliveries {
                if n == deliveries / 4 { await harness.stopRedis() }
                let body = Data(template.replacingOccurrences(of: "\"number\": 2,", with: "\"number\": \(n + 1),").utf8)
                let response = await ingest.ingest(
                    WebhookRequest(headers: WebhookFixtures.headers(event: "pull_request", body: body), body: body), logger: .quiet)
                #expect(response.statusCode == 202 || response.statusCode == 503)
                if response.statusCode == 202, let id = response.jobId { acknowledged.append(id) }
            }
            // The outage outlasts the queue's memory (no persistence here): a restart is empty, so every
            // acknowledged job must have been written before redis stopped.
            #expect(acknowledged.count == deliveries / 4)
            try await harness.restartRedis()
        }
    }

    @Test func crashRecoveryLeavesExactlyOneReviewPerJob() async throws {
        let trials = 5 * Self.scale
        for trial in 0..<trials {
            try await RedisHarness.with { harness in
                let app = try await GitHubTestApp.start()
                let job = app.job(for: .named("ky-small-single-file-edit"))
                var settings = QueueSettings()
                settings.name = "crash-\(trial)"
                settings.lease = 2
                let queue = RedisJobQueue(redis: harness.client(), settings: settings)
                // review-job is a real process on real time: the job is queued at the real time, read once.
                let queuedAt = Date()
                _ = try await queue.enqueue(job, now: queuedAt)
                let keyFile = harness.folder.appendingPathComponent("app.pem")
                try GitHubTestApp.keyPEM.write(to: keyFile, atomically: true, encoding: .utf8)
                // Stall one GitHub call, chosen per trial, so the kill lands at a different step each time.
                // The last step: the review is posted and only GitHub's answer is lost with the worker.
                let steps = [
                    ("GET", "/pulls/731", false), ("GET", "/reviews", false), ("GET", "/comments", false), ("POST", "/reviews", false),
                    ("POST", "/reviews", true),
                ]
                let (method, stall, after) = steps[trial % steps.count]
                let (stalled, signal) = AsyncStream.makeStream(of: Void.self)
                app.standIn.stall(pathSuffix: stall, method: method, afterHandling: after) { signal.yield() }
                let worker = try ChildProcess.spawn(
                    try Tools.binary("review-job").path, arguments: ["drain"],
                    environment: harness.environment(queue: settings.name).merging([
                        "QUEUE_LEASE_SECONDS": "2", "GITHUB_APP_CLIENT_ID": GitHubTestApp.issuer, "GITHUB_APP_PRIVATE_KEY_FILE": keyFile.path,
                        "GITHUB_API_URL": app.standIn.url.absoluteString, "PATH": "/usr/bin:/bin", "LOG_LEVEL": "critical",
                    ]) { $1 }
                )
                // Whichever comes first: the worker reaching the stalled call, or the worker exiting
                // without reaching it (a failure to report, never a hang).
                let exited = Task { try await onOwnThread { worker.wait() } }
                let reachedStall = await withTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        var iterator = stalled.makeAsyncIterator()
                        return await iterator.next() != nil
                    }
                    group.addTask {
                        _ = try? await exited.value; return false
                    }
                    let first = await group.next() ?? false
                    // Both children end now: the worker dies, and the stall stream finishes.
                    worker.send(SIGKILL)
                    signal.finish()
                    return first
                }
                #expect(reachedStall, "trial \(trial): review-job exited before reaching \(method) \(stall)")
                _ = try await exited.value
                app.standIn.releaseStalls()
                // The killed worker's lease deadline (or, had it given the job back, its due time) is where the
                // test's clock starts: a moment past it, whatever the real time is now.
                let record = try #require(try await queue.inspect(id: job.id, now: queuedAt))
                let clock = ManualClock(try #require(record.scheduledAt).addingTimeInterval(0.001))
                let drainer = JobDrainer(
                    queue: queue, processor: PullRequestReviewer(github: app.client(), model: QuotingModel()), concurrency: 1, deadlineMargin: 0,
                    clock: clock.wallClock)
                let report = try await drainer.drain(deadline: clock.now + 60, logger: .quiet)
                let reviews = app.standIn.reviews("sindresorhus/ky#731")
                await app.stop()
                #expect(report.jobs.map(\.outcome) == [.completed], "trial \(trial) stalled at \(method) \(stall) after: \(after)")
                #expect(reviews.count == 1, "trial \(trial): exactly one review")
                #expect(try await queue.inspect(id: job.id, now: clock.now)?.state == .completed)
            }
        }
    }

    /// GitHub and the model failing at random during a drain (seeded: a failing round names its seed).
    /// Every job ends completed, or failed with its reason; in between a job is rescheduled with its
    /// last error; nothing is silently dropped and no pull request gets a second review.
    @Test func faultsDuringADrainEndEveryJobWithAReason() async throws {
        for round in 0..<Self.scale {
            var rng = SplitMix(state: 0xFA17 + UInt64(round))
            try await RedisHarness.with { harness in
                let app = try await GitHubTestApp.start()
                let jobs = PullRequestFixture.all.map { app.job(for: $0) }
                let secondary = #"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#
                for job in jobs {
                    let pull = "\(job.repository.name)/pulls/\(job.pullRequest.number)"
                    let faults: [GitHubStandIn.Fault?] = [
                        nil,
                        .init(pathSuffix: pull, status: 429, headers: ["retry-after": "30"]),
                        .init(pathSuffix: pull, status: 403, body: secondary),
                        .init(pathSuffix: pull, status: 502, body: "<html>bad gateway</html>"),
                        .init(
                            method: "POST", pathSuffix: pull + "/reviews", status: 422,
                            body: #"{"message":"Unprocessable Entity","errors":["Line could not be resolved"]}"#),
                        .init(method: "POST", pathSuffix: pull + "/reviews", status: 500, body: #"{"message":"Server Error"}"#),
                    ]
                    if let fault = faults[Int(rng.next() % UInt64(faults.count))] { app.standIn.script(fault) }
                }
                let replies: [ModelStandIn.Reply] =
                    (0..<(jobs.count * 2)).map { _ in
                        switch rng.next() % 8 {
                        case 0: .raw("Looks good to me!")
                        case 1: .truncated(#"{"summary":"Two issues","findings":[{"path":"#)
                        case 2: .refusal
                        case 3: .httpError(429, headers: ["retry-after": "20"], body: #"{"error":{"message":"Rate limit reached"}}"#)
                        case 4: .httpError(529, headers: [:], body: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
                        case 5: .httpError(500, headers: [:], body: "upstream connect error")
                        case 6: .findings(#"{"summary":"Nothing to report.","findings":[]}"#)
                        default: .quotingFirstAddedLine
                        }
                    } + [.quotingFirstAddedLine]
                let model = try await ModelStandIn.start(replies)
                let env = ["LLM_PROVIDER": "openai", "LLM_BASE_URL": model.url.absoluteString + "/v1", "LLM_API_KEY": "sk-faults", "LLM_MODEL": "m"]
                var settings = QueueSettings()
                settings.name = "faults-\(round)"
                let queue = RedisJobQueue(redis: harness.client(), settings: settings)
                let clock = ManualClock()
                for job in jobs { _ = try await queue.enqueue(job, now: clock.now) }
                let reviewer = PullRequestReviewer(
                    github: app.client(queue: queue, clock: clock.wallClock),
                    model: LLMConfig.load(EnvironmentReader(env)).makeModel(transport: AsyncHTTPClientTransport()),
                    clock: clock.wallClock)
                let drainer = JobDrainer(queue: queue, processor: reviewer, concurrency: 1, deadlineMargin: 0, clock: clock.wallClock, jitter: { 0.5 })

                var drains = 0
                while true {
                    let report = try await drainer.drain(deadline: clock.now + 3_600, logger: .quiet)
                    drains += 1
                    #expect(report.jobs.allSatisfy { [.completed, .retrying, .failed].contains($0.outcome) }, "seed \(round): \(report.jobs)")
                    for outcome in report.jobs where outcome.outcome != .completed {
                        #expect(outcome.error?.isEmpty == false, "seed \(round): \(outcome.jobId) \(outcome.outcome) without a reason")
                    }
                    // Between drains, a job that is not finished waits with the error that sent it back —
                    // or, not yet tried, for its installation's pause after a GitHub rate limit to end.
                    let paused = try await queue.stats(now: clock.now).pausedInstallations > 0
                    for job in jobs {
                        let record = try #require(try await queue.inspect(id: job.id, now: clock.now), "seed \(round): \(job.id) lost")
                        if record.state == .delayed || record.state == .waiting {
                            #expect(record.lastError?.isEmpty == false || (paused && record.attemptsSpent == 0), "seed \(round): \(job.id)")
                        }
                        #expect(record.state != .active, "seed \(round): \(job.id) left active")
                    }
                    guard let next = report.nextDueAt, drains < 30 else { break }
                    clock.set(next.addingTimeInterval(0.001))
                }
                var finished: [JobRecord.State: Int] = [:]
                for job in jobs {
                    let record = try #require(try await queue.inspect(id: job.id, now: clock.now))
                    finished[record.state, default: 0] += 1
                    let reviews = app.standIn.reviews("\(job.repository.owner)/\(job.repository.name)#\(job.pullRequest.number)").count
                    #expect(reviews <= 1, "seed \(round): \(job.id) reviewed \(reviews) times")
                    switch record.state {
                    case .completed:
                        let status = (try? JSONValue.parse(Data((record.result ?? "").utf8)))?["status"]?.stringValue
                        #expect(["posted", "nothing-new", "already-reviewed"].contains(status), "seed \(round): \(record.result ?? "")")
                        if status == "posted" { #expect(reviews == 1, "seed \(round): \(job.id)") }
                    case .failed:
                        #expect(record.error?.isEmpty == false, "seed \(round): \(job.id) failed without a reason")
                    default:
                        Issue.record("seed \(round): \(job.id) ended \(record.state) after \(drains) drains")
                    }
                }
                #expect(finished.values.reduce(0, +) == jobs.count)
                #expect(finished[.completed, default: 0] > 0, "seed \(round): \(finished)")
                await model.stop()
                await app.stop()
            }
        }
    }
}
