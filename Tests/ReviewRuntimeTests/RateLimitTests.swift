import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Synchronization
import Testing

/// GitHub's rate limits on one installation, answered by the stand-in as GitHub documents them:
/// no job fails, no attempt is spent, the limited installation is left alone until its limit ends,
/// and the other installation's reviews are posted meanwhile.
@Suite struct InstallationRateLimitTests {
    struct Run {
        var failed = 0
        var attemptsAfterTheFirst = 0
        var limitedAnswers = 0
        /// When each installation's reviews were posted, in the drains' time.
        var postedAt: [Int: [Date]] = [:]
    }

    func run(_ limit: (Date) -> GitHubStandIn.RateLimit, name: String) async throws -> (Run, Date) {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let clock = ManualClock()
            app.standIn.useClock { clock.now }
            var settings = QueueSettings()
            settings.name = name
            let queue = RedisJobQueue(redis: harness.client(), settings: settings)
            // Installation 1 gets the first five pull requests, installation 2 the other five.
            var jobs: [ReviewJob] = []
            for (index, fixture) in PullRequestFixture.all.enumerated() {
                var job = app.job(for: fixture)
                job.pullRequest.repository.installationId = index < 5 ? 1 : 2
                jobs.append(job)
                _ = try await queue.enqueue(job, now: clock.now)
            }
            #expect(jobs.count == 10)
            let limit = limit(clock.now)
            app.standIn.limit(installation: 1, limit)
            let reviewer = PullRequestReviewer(github: app.client(queue: queue, clock: clock.wallClock), model: QuotingModel(), clock: clock.wallClock)
            let drainer = JobDrainer(queue: queue, processor: reviewer, concurrency: 2, deadlineMargin: 0, clock: clock.wallClock, jitter: { 0.5 })
            var run = Run()
            var seen: Set<String> = []
            for _ in 0..<40 {
                let report = try await drainer.drain(deadline: clock.now + 3_600, logger: .quiet)
                run.failed += report.jobs.filter { $0.outcome == .failed }.count
                run.attemptsAfterTheFirst += report.jobs.filter { $0.attempt > 1 }.count
                for job in jobs
                where !seen.contains(job.id) && !app.standIn.reviews("\(job.repository.owner)/\(job.repository.name)#\(job.pullRequest.number)").isEmpty {
                    seen.insert(job.id)
                    run.postedAt[job.repository.installationId, default: []].append(clock.now)
                }
                guard let next = report.nextDueAt else { break }
                clock.set(next.addingTimeInterval(0.001))
            }
            run.limitedAnswers = app.standIn.limitedAnswers(installation: 1)
            await app.stop()
            return (run, limit.until)
        }
    }

    @Test func aSecondaryLimitFailsNothingAndLetsTheOtherInstallationThrough() async throws {
        let (run, until) = try await run({ GitHubStandIn.RateLimit(until: $0 + 200, secondary: true, retryAfter: 20) }, name: "secondary")
        #expect(run.failed == 0 && run.attemptsAfterTheFirst == 0)
        // Installation 2's reviews are posted while installation 1 is limited, all five of each in the end.
        #expect(run.postedAt[2]?.count == 5 && run.postedAt[2]!.allSatisfy { $0 < until }, "\(run.postedAt)")
        #expect(run.postedAt[1]?.count == 5 && run.postedAt[1]!.allSatisfy { $0 >= until }, "\(run.postedAt)")
        // Both workers' first requests, then one probe (a single job) at the end of each pause —
        // 20 s, then 80 s: quadrupling — one probe per worker after the first answers, nothing like
        // the 200 requests sent before.
        #expect(run.limitedAnswers <= 2 + 2, "\(run.limitedAnswers) limited answers")
    }

    @Test func aPrimaryLimitWaitsForItsResetWithoutFailing() async throws {
        let (run, until) = try await run({ GitHubStandIn.RateLimit(until: $0 + 900, secondary: false) }, name: "primary")
        #expect(run.failed == 0 && run.attemptsAfterTheFirst == 0)
        #expect(run.postedAt[2]?.count == 5 && run.postedAt[1]?.count == 5, "\(run.postedAt)")
        #expect(run.postedAt[1]!.allSatisfy { $0 >= until })
        // The reset is known: after the first answers, nothing is sent to installation 1 before it.
        #expect(run.limitedAnswers <= 2, "\(run.limitedAnswers) limited answers")
    }
}

/// Files read from a pull request are asked for their size first: one over the cap is never downloaded.
@Suite struct HeadFileSizeTests {
    /// Counts the bytes of every answer body it passes on.
    final class CountingBodies: HTTPTransport, Sendable {
        let inner = AsyncHTTPClientTransport()
        let bytes = CallCounterBox()
        func send(_ request: HTTPRequest) async throws -> HTTPResponse {
            let response = try await inner.send(request)
            bytes.add(response.body.count)
            return response
        }
    }

    final class CallCounterBox: Sendable {
        private let total = Mutex(0)
        func add(_ value: Int) { total.withLock { $0 += value } }
        var value: Int { total.withLock { $0 } }
    }

    @Test func aFileOverTheCapIsNeverDownloaded() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: .named("ky-small-single-file-edit"))
        let repository = "\(job.repository.owner)/\(job.repository.name)"
        let big = String(repeating: "let x = 1\n", count: 500_000)  // 5 MB
        app.standIn.setFile(repository, "big.swift", big)
        app.standIn.setFile(repository, "small.swift", "let y = 2\n")
        let transport = CountingBodies()
        let client = app.client(transport: transport)
        let before = transport.bytes.value
        #expect(try await client.fileContents(job.repository, path: "big.swift", ref: job.head, maxBytes: 1_000_000) == .tooLarge(bytes: 5_000_000))
        // The answer said the size and carried no content.
        #expect(transport.bytes.value - before < 2_000)
        #expect(try await client.fileContents(job.repository, path: "small.swift", ref: job.head, maxBytes: 1_000_000) == .file(Data("let y = 2\n".utf8)))
        #expect(try await client.fileContents(job.repository, path: "missing.swift", ref: job.head, maxBytes: 1_000_000) == nil)
        // A config over its limit is reported with its size, not read.
        app.standIn.setFile(repository, RepoConfig.path, String(repeating: "# padding\n", count: 10_000))
        let (_, problems) = try await RepoConfigLoader.load(client, repository: job.repository, ref: try #require(job.review).base)
        #expect(problems == ["the file is 100000 bytes; the limit is 65536"])
        await app.stop()
    }
}

/// Each installation's writes, paced across workers by GitHub's documented numbers.
@Suite struct WritePacingTests {
    @Test func contentWritesStayWithinAMinutesAndAnHoursPace() async throws {
        try await RedisHarness.with { harness in
            let queue = RedisJobQueue(redis: harness.client(), settings: QueueSettings())
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            // Two "workers" asking at once for 600 content writes, with GitHub's numbers and with a gap
            // short enough that the minute's 80 is what binds.
            var configured = WritePacer(queue: queue)
            configured.gap = 0.1
            let fast = configured
            let slots = try await withThrowingTaskGroup(of: Date.self) { group in
                for _ in 0..<600 { group.addTask { try await fast.slot(installation: 7, creatingContent: true, now: start) } }
                return try await group.reduce(into: []) { $0.append($1) }.sorted()
            }
            let times = slots.map { $0.timeIntervalSince(start) }
            #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 >= 0.1 - 1e-4 }, "writes one at a time, a gap apart")
            func most(within span: TimeInterval) -> Int {
                var best = 0
                var first = 0
                for (last, time) in times.enumerated() {
                    while time - times[first] >= span { first += 1 }
                    best = max(best, last - first + 1)
                }
                return best
            }
            #expect(most(within: 60) == 80)
            #expect(most(within: 3600) == 500)
            // The 501st waits for the first to leave the hour.
            #expect(times[500] >= 3600)
            // Another installation is not held back by this one's budget.
            #expect(try await fast.slot(installation: 8, creatingContent: true, now: start) == start)
            // With GitHub's one-second gap, edits are spaced the same way and use no content budget.
            let pacer = WritePacer(queue: queue)
            let a = try await pacer.slot(installation: 9, creatingContent: false, now: start)
            let b = try await pacer.slot(installation: 9, creatingContent: false, now: start)
            #expect(a == start && b == start.addingTimeInterval(1))
        }
    }

    /// A review's writes go through the pacer; its reads do not.
    @Test func aReviewReservesASlotForEachWrite() async throws {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let queue = RedisJobQueue(redis: harness.client(), settings: QueueSettings())
            var pacer = WritePacer(queue: queue)
            pacer.gap = 0.001
            var client = app.client(queue: queue)
            client.pacer = pacer
            let job = app.job(for: .named("ky-small-single-file-edit"))
            _ = try await queue.enqueue(job, now: Date())
            let drainer = JobDrainer(queue: queue, processor: PullRequestReviewer(github: client, model: QuotingModel()), concurrency: 1, deadlineMargin: 0)
            let report = try await drainer.drain(deadline: Date() + 60, logger: .quiet)
            #expect(report.jobs.map(\.outcome) == [.completed])
            let writes = app.standIn.requestLog.filter { !$0.hasPrefix("GET ") && !$0.hasSuffix("/access_tokens") }
            let posts = writes.filter { $0.hasPrefix("POST ") }.count
            let reserved = try await harness.client().send(["ZCARD", queue.prefix + "writes:\(job.repository.installationId)"]).int
            await app.stop()
            #expect(posts >= 2 && reserved == posts, "\(writes)")
        }
    }
}
