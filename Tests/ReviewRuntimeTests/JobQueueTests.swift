import Foundation
import Logging
import NIOConcurrencyHelpers
import RedisBridge
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

@Suite struct JobQueueTests {
    func queue(_ harness: RedisHarness, _ configure: (inout QueueSettings) -> Void = { _ in }) -> RedisJobQueue {
        var settings = QueueSettings()
        settings.name = "q-\(UUID().uuidString.prefix(8))"
        configure(&settings)
        return RedisJobQueue(redis: harness.client(), settings: settings)
    }

    func drainer(_ queue: RedisJobQueue, _ processor: any JobProcessor, clock: ManualClock, concurrency: Int = 1) -> JobDrainer {
        JobDrainer(queue: queue, processor: processor, concurrency: concurrency, deadlineMargin: 0, clock: clock.wallClock, jitter: { 1 })
    }

    @Test func happyPathCostsThreeRoundTrips() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let clock = ManualClock()
            // Warm the script cache (a cold Redis answers the first EVALSHA with NOSCRIPT).
            _ = try await queue.enqueue(SampleJobs.job(pr: 1), now: clock.now)
            guard case .claimed(let warm) = try await queue.claim(now: clock.now) else { Issue.record("no claim"); return }
            #expect(try await queue.complete(warm.lease, result: "{}", now: clock.now))

            let before = harness.bridge.requestCount
            _ = try await queue.enqueue(SampleJobs.job(pr: 2), now: clock.now)
            guard case .claimed(let claimed) = try await queue.claim(now: clock.now) else { Issue.record("no claim"); return }
            #expect(claimed.attempt == 1 && claimed.job.pullRequest.number == 2)
            #expect(try await queue.complete(claimed.lease, result: #"{"ok":true}"#, now: clock.now))
            #expect(harness.bridge.requestCount - before == 3)
            #expect(try await queue.inspect(id: claimed.id, now: clock.now)?.state == .completed)
        }
    }

    @Test func idleDrainReturnsAfterOneCall() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            _ = try await queue.stats(now: Date())  // load nothing: the claim below may pay NOSCRIPT once
            let processor = ScriptedProcessor()
            let clock = ManualClock()
            _ = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
            let before = harness.bridge.requestCount
            let report = try await drainer(queue, processor, clock: clock, concurrency: 4).drain(deadline: clock.now + 60, logger: .quiet)
            #expect(report.stoppedBecause == .empty && report.jobs.isEmpty)
            #expect(harness.bridge.requestCount - before == 1)
        }
    }

    @Test func failsTwiceThenCompletesOnAttemptThree() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let clock = ManualClock()
            let processor = ScriptedProcessor { _, attempt in
                if attempt < 3 { throw ReviewError(.githubUnavailable, "GitHub answered 502") }
                return Data(#"{"posted":1}"#.utf8)
            }
            let job = SampleJobs.job(pr: 7)
            _ = try await queue.enqueue(job, now: clock.now)
            var outcomes: [DrainReport.Outcome] = []
            for _ in 0..<3 {
                let report = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
                outcomes += report.jobs.map(\.outcome)
                // Not due yet: the backoff holds the job back until the clock passes it.
                if let next = report.nextDueAt { clock.set(next + 0.001) }
            }
            #expect(outcomes == [.retrying, .retrying, .completed])
            #expect(processor.processed.map(\.attempt) == [1, 2, 3])
            let record = try #require(try await queue.inspect(id: job.id, now: clock.now))
            #expect(record.state == .completed && record.result == #"{"posted":1}"#)
            #expect(record.lastError == "github_unavailable: GitHub answered 502")
        }
    }

    @Test func backoffDelaysTheRetry() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness) {
                $0.backoffBase = 10
                $0.limitSpread = 0
            }
            let clock = ManualClock()
            let processor = ScriptedProcessor { _, _ in throw ReviewError(.githubRateLimited, "429", retryAfter: 120) }
            _ = try await queue.enqueue(SampleJobs.job(pr: 3), now: clock.now)
            let first = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
            #expect(first.jobs.map(\.outcome) == [.retrying])
            let second = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
            #expect(second.jobs.isEmpty && second.stoppedBecause == .nothingDue)
            #expect(second.nextDueAt.map { abs($0.timeIntervalSince(clock.now) - 120) < 0.01 } == true, "retry-after 120 s honoured")
            #expect(try await queue.stats(now: clock.now).delayed == 1)
        }
    }

    @Test(.timeLimit(.minutes(1))) func patientDrainWaitsForARetryDueSoonButNotPastItsPatienceOrDeadline() async throws {
        try await RedisHarness.with { harness in
            for (patience, deadline, expected) in [(60.0, 600.0, [DrainReport.Outcome.retrying, .completed]), (10, 600, [.retrying]), (60, 15, [.retrying])] {
                let queue = queue(harness) { $0.limitSpread = 0 }
                // The first call meets a rate limit (which spends no attempt: count calls, not attempts).
                let calls = CallCounter()
                let processor = ScriptedProcessor { _, _ in
                    if calls.next() == 1 { throw ReviewError(.githubRateLimited, "429", retryAfter: 20) }
                    return Data("{}".utf8)
                }
                let clock = ManualClock()
                _ = try await queue.enqueue(SampleJobs.job(pr: Int(patience * 1000 + deadline)), now: clock.now)
                let drainer = JobDrainer(queue: queue, processor: processor, concurrency: 1, deadlineMargin: 0, clock: clock.wallClock, jitter: { 1 })
                let drain = Task { try await drainer.drain(deadline: clock.now + deadline, patience: patience, logger: .quiet) }
                var slept: [TimeInterval] = []
                if expected.count == 2 {
                    // The heartbeat also sleeps on this clock (a third of the lease); the patient wait is the shorter one.
                    let wait = await clock.sleeper { $0 < queue.settings.lease / 3 }
                    slept.append(wait)
                    clock.advance(by: wait)
                }
                let report = try await drain.value
                #expect(report.jobs.map(\.outcome) == expected, "patience \(patience), deadline \(deadline)")
                #expect(report.stoppedBecause == (expected.count == 2 ? .empty : .nothingDue))
                #expect(slept.map { ($0 * 1000).rounded() } == (expected.count == 2 ? [20_001] : []))
            }
            // A job another worker holds is running: its lease is nothing to wait for (a wait
            // would never end, as nobody moves this clock).
            let queue = queue(harness)
            let clock = ManualClock()
            _ = try await queue.enqueue(SampleJobs.job(pr: 1), now: clock.now)
            _ = try await queue.claim(now: clock.now)
            let drainer = JobDrainer(queue: queue, processor: ScriptedProcessor(), concurrency: 1, deadlineMargin: 0, clock: clock.wallClock)
            let report = try await drainer.drain(deadline: clock.now + 600, patience: 600, logger: .quiet)
            #expect(report.stoppedBecause == .nothingDue && report.nextDueIsLease == true && report.jobs.isEmpty)
        }
    }

    /// GitHub's and the model's rate limits spend no attempt: the job waits (spread after the
    /// limit ends) until its waits add up past the longest total wait, then fails saying so.
    @Test func rateLimitsSpendNoAttemptUpToTheLongestWait() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness) {
                $0.maxAttempts = 2
                $0.longestLimitWait = 1000
                $0.limitSpread = 60
            }
            let clock = ManualClock()
            let processor = ScriptedProcessor { _, _ in throw ReviewError(.modelRateLimited, "anthropic answered HTTP 529: Overloaded", retryAfter: 100) }
            let job = SampleJobs.job(pr: 11)
            _ = try await queue.enqueue(job, now: clock.now)
            var outcomes: [DrainReport.Outcome] = []
            var waits: [TimeInterval] = []
            for _ in 0..<8 {
                let started = clock.now
                let report = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
                outcomes += report.jobs.map(\.outcome)
                if let next = report.nextDueAt {
                    waits.append((next.timeIntervalSince(started) * 1000).rounded() / 1000)
                    clock.set(next + 0.001)
                }
            }
            // Each wait is the 100 s asked plus the spread (jitter 1: all 60 s of it); the seventh
            // would bring the total to 1,120 s, past the 1,000 allowed. Two attempts would have
            // failed it at the second error, were limits attempts.
            #expect(outcomes == Array(repeating: .retrying, count: 6) + [.failed])
            #expect(waits == Array(repeating: 160, count: 6))
            #expect(processor.processed.map(\.attempt) == Array(repeating: 1, count: 7))
            let record = try #require(try await queue.inspect(id: job.id, now: clock.now))
            #expect(record.state == .failed && record.attemptsSpent == 0)
            #expect(record.error == "rate limited for more than 1000 s in all: model_rate_limited: anthropic answered HTTP 529: Overloaded")
            // Brought back by hand, it has the whole wait again.
            #expect(try await queue.retryFailed(ids: [job.id], now: clock.now) == [job.id])
            let again = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
            #expect(again.jobs.map(\.outcome) == [.retrying])
        }
    }

    /// 500 jobs of one installation, then one of another: the other's job is claimed among the
    /// first few, not 501st, and no installation ever runs more than its cap at once.
    @Test func claimsGoRoundRobinByInstallationWithinItsCap() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness) { $0.installationConcurrency = 2 }
            let clock = ManualClock()
            for pr in 1...500 { _ = try await queue.enqueue(SampleJobs.job(pr: pr, installation: 1), now: clock.now) }
            clock.advance(by: 1)
            _ = try await queue.enqueue(SampleJobs.job(pr: 1, installation: 2), now: clock.now)
            var order: [Int] = []
            var running: [Int: [Lease]] = [:]
            // Workers finish in claim order: at most the cap of installation 1 runs at any time.
            while order.count < 12 {
                guard case .claimed(let claimed) = try await queue.claim(now: clock.now) else {
                    let oldest = try #require(running.values.flatMap { $0 }.min { $0.deadline < $1.deadline })
                    #expect(try await queue.complete(oldest, result: "{}", now: clock.now))
                    running[Int(oldest.installation)!]?.removeAll { $0 == oldest }
                    continue
                }
                order.append(claimed.job.repository.installationId)
                running[claimed.job.repository.installationId, default: []].append(claimed.lease)
                #expect(running[claimed.job.repository.installationId]!.count <= 2, "over the cap: \(order)")
            }
            let position = try #require(order.firstIndex(of: 2))
            #expect(position < 2 * (2 + 1), "installation 2 came at \(position + 1): \(order)")
            #expect(order.filter { $0 == 1 }.count == 11)
        }
    }

    /// A rate limit on one installation pauses its claims for every worker; others flow meanwhile.
    @Test func aPausedInstallationIsNotClaimedUntilItsPauseEnds() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let clock = ManualClock()
            for pr in 1...3 { _ = try await queue.enqueue(SampleJobs.job(pr: pr, installation: 1), now: clock.now) }
            for pr in 1...2 { _ = try await queue.enqueue(SampleJobs.job(pr: pr, installation: 2), now: clock.now) }
            try await queue.pauseInstallation(1, for: 200, now: clock.now)
            // A shorter pause announced later does not end it sooner.
            let end = try await queue.pauseInstallation(1, for: 20, now: clock.now)
            #expect(abs(end.timeIntervalSince(clock.now) - 200) < 0.01)
            var claimed: [Int] = []
            while case .claimed(let job) = try await queue.claim(now: clock.now) {
                claimed.append(job.job.repository.installationId)
                #expect(try await queue.complete(job.lease, result: "{}", now: clock.now))
            }
            #expect(claimed == [2, 2])
            #expect(try await queue.stats(now: clock.now).pausedInstallations == 1)
            guard case .nothingDue(let next, _) = try await queue.claim(now: clock.now) else {
                Issue.record("the pause should be what is due next")
                return
            }
            #expect(abs(next.timeIntervalSince(clock.now) - 200) < 0.01)
            clock.advance(by: 200)
            while case .claimed(let job) = try await queue.claim(now: clock.now) {
                claimed.append(job.job.repository.installationId)
                #expect(try await queue.complete(job.lease, result: "{}", now: clock.now))
            }
            #expect(claimed == [2, 2, 1, 1, 1])
            #expect(try await queue.stats(now: clock.now).pausedInstallations == 0)
            // Limited again within a pause's length of its end: four times as long (GitHub's
            // exponential backoff for secondary limits); met again long after, as long as asked.
            clock.advance(by: 100)
            let longer = try await queue.pauseInstallation(1, for: 20, now: clock.now)
            #expect(abs(longer.timeIntervalSince(clock.now) - 800) < 0.01)
            clock.advance(by: 800 + 801)
            let fresh = try await queue.pauseInstallation(1, for: 20, now: clock.now)
            #expect(abs(fresh.timeIntervalSince(clock.now) - 20) < 0.01)
        }
    }

    /// Jobs a version before installations queued in the one schedule still run.
    @Test func jobsQueuedBeforeInstallationsHadSetsStillRun() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let clock = ManualClock()
            let redis = harness.client()
            for pr in 1...3 {
                let job = SampleJobs.job(pr: pr)
                _ = try await redis.send(["HSET", queue.jobKey(job.id), "data", String(decoding: job.encoded(), as: UTF8.self)])
                _ = try await redis.send(["ZADD", queue.legacySchedule, String(Int64(clock.now.timeIntervalSince1970 * 1000)), job.id])
            }
            var done = 0
            while case .claimed(let job) = try await queue.claim(now: clock.now) {
                #expect(try await queue.complete(job.lease, result: "{}", now: clock.now))
                done += 1
            }
            #expect(done == 3)
            #expect(try await redis.send(["EXISTS", queue.legacySchedule]).int == 0)
        }
    }

    @Test func alwaysFailingEndsFailedAndRetryBringsItBack() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness) { $0.maxAttempts = 3 }
            let clock = ManualClock()
            let processor = ScriptedProcessor { _, _ in throw ReviewError(.modelTimeout, "the model did not answer") }
            let job = SampleJobs.job(pr: 9)
            _ = try await queue.enqueue(job, now: clock.now)
            var outcomes: [DrainReport.Outcome] = []
            for _ in 0..<5 {
                let report = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
                outcomes += report.jobs.map(\.outcome)
                if let next = report.nextDueAt { clock.set(next + 0.001) }
            }
            #expect(outcomes == [.retrying, .retrying, .failed])
            let failed = try await queue.failedJobs()
            #expect(failed.map(\.id) == [job.id])
            #expect(failed.first?.error == "model_timeout: the model did not answer" && failed.first?.attemptsSpent == 3)

            // reviewctl, the built binary, brings it back with its attempts reset.
            var env = harness.environment(queue: queue.settings.name)
            env["PATH"] = "/usr/bin:/bin"
            let listed = try await ProcessRun.run(try Tools.binary("reviewctl"), arguments: ["queue", "failed"], environment: env)
            #expect(listed.exitCode == 0 && listed.stdoutText.contains("model_timeout: the model did not answer"))
            let retry = try await ProcessRun.run(
                try Tools.binary("reviewctl"), arguments: ["queue", "retry", "--json", "octo-org/app#9@\(job.head)"], environment: env)
            #expect(retry.exitCode == 0, "\(retry.stderrText)")
            #expect(retry.stdoutText.contains(job.id))
            let stats = try await ProcessRun.run(try Tools.binary("reviewctl"), arguments: ["queue", "stats", "--json"], environment: env)
            let decoded = try JSONDecoder().decode(QueueStats.self, from: stats.stdout)
            #expect(decoded.waiting == 1 && decoded.failed == 0)
            // reviewctl, a real process, re-queued it at the real time: claim it at the time it was given,
            // read from the queue (the test's manual clock may be behind or ahead of it).
            let requeued = try #require(try await queue.inspect(id: job.id, now: clock.now))
            let due = try #require(requeued.scheduledAt)
            guard case .claimed(let again) = try await queue.claim(now: due) else {
                Issue.record("not re-queued")
                return
            }
            #expect(again.attempt == 1)
        }
    }

    @Test func nonRetryableErrorFailsAtOnce() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let clock = ManualClock()
            let processor = ScriptedProcessor { _, _ in throw ReviewError(.githubNotFound, "pull request 9 does not exist") }
            _ = try await queue.enqueue(SampleJobs.job(pr: 9), now: clock.now)
            let report = try await drainer(queue, processor, clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
            #expect(report.jobs.map(\.outcome) == [.failed])
            #expect(try await queue.failedJobs().first?.error == "github_not_found: pull request 9 does not exist")
        }
    }

    @Test func staleLeaseHolderCannotCompleteFailOrHeartbeat() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness) { $0.lease = 10 }
            let clock = ManualClock()
            _ = try await queue.enqueue(SampleJobs.job(pr: 5), now: clock.now)
            guard case .claimed(let first) = try await queue.claim(now: clock.now) else { Issue.record(); return }
            #expect(try await queue.heartbeat(first.lease, until: clock.now + 10))
            clock.advance(by: 25)
            guard case .claimed(let second) = try await queue.claim(now: clock.now) else { Issue.record("expired lease not re-claimed"); return }
            #expect(second.id == first.id && second.attempt == 2)
            #expect(try await queue.inspect(id: first.id, now: clock.now)?.lastError?.contains("lease expired") == true)
            #expect(try await !queue.complete(first.lease, result: "{}", now: clock.now))
            #expect(try await queue.fail(first.lease, error: .badInput("x"), now: clock.now) == .staleLease)
            #expect(try await !queue.heartbeat(first.lease, until: clock.now + 10))
            #expect(try await queue.complete(second.lease, result: "{}", now: clock.now))
        }
    }

    @Test func expiredLeasesPastMaxAttemptsFail() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness) {
                $0.lease = 10; $0.maxAttempts = 2
            }
            let clock = ManualClock()
            _ = try await queue.enqueue(SampleJobs.job(pr: 6), now: clock.now)
            guard case .claimed = try await queue.claim(now: clock.now) else { Issue.record(); return }
            clock.advance(by: 11)
            guard case .claimed = try await queue.claim(now: clock.now) else { Issue.record(); return }
            clock.advance(by: 11)
            #expect(try await queue.claim(now: clock.now) == .empty)
            let failed = try await queue.failedJobs()
            #expect(failed.count == 1 && failed.first?.error?.contains("lease expired 2 time(s)") == true)
        }
    }

    @Test func concurrentDrainersNeverShareAJobAndSkipSuperseded() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let clock = ManualClock()
            for pr in 1...24 { _ = try await queue.enqueue(SampleJobs.job(pr: pr), now: clock.now) }
            // PR 1 is pushed again: its waiting job is superseded and must not run.
            let old = SampleJobs.job(pr: 1)
            let newer = SampleJobs.job(pr: 1, head: String(repeating: "f", count: 40))
            #expect(try await queue.enqueue(newer, now: clock.now) == .queued(jobId: newer.id, superseded: old.id))

            let running = NIOLockedValueBox<Set<String>>([])
            let overlaps = NIOLockedValueBox(0)
            let processor = ScriptedProcessor { job, _ in
                let clash = running.withLockedValue { !$0.insert(job.id).inserted }
                if clash { overlaps.withLockedValue { $0 += 1 } }
                await Task.yield()
                running.withLockedValue { _ = $0.remove(job.id) }
                return Data("{}".utf8)
            }
            async let a = drainer(queue, processor, clock: clock, concurrency: 3).drain(deadline: clock.now + 60, logger: .quiet)
            async let b = drainer(queue, processor, clock: clock, concurrency: 3).drain(deadline: clock.now + 60, logger: .quiet)
            let reports = try await [a, b]
            let ids = processor.processed.map(\.jobId)
            #expect(overlaps.withLockedValue { $0 } == 0)
            #expect(ids.count == 24 && Set(ids).count == 24, "each job exactly once")
            #expect(!ids.contains(old.id) && ids.contains(newer.id))
            #expect(reports.flatMap(\.jobs).allSatisfy { $0.outcome == .completed })
            let stats = try await queue.stats(now: clock.now)
            #expect(stats.completed == 25 && stats.waiting == 0 && stats.active == 0)  // 24 + the superseded one
        }
    }

    @Test func completedJobsAreTrimmedByCount() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness) { $0.completedKeep = 3 }
            let clock = ManualClock()
            // Enqueue trims (every time while fewer than 256 are kept): jobs queued and done one by one.
            for pr in 1...6 {
                _ = try await queue.enqueue(SampleJobs.job(pr: pr), now: clock.now)
                _ = try await drainer(queue, ScriptedProcessor(), clock: clock).drain(deadline: clock.now + 60, logger: .quiet)
            }
            // Trimmed back to 3 once over 3 + a quarter (at least 1): never more than 4 kept.
            let kept = try await queue.stats(now: clock.now).completed
            #expect((3...4).contains(kept))
            #expect(try await queue.inspect(id: SampleJobs.job(pr: 1).id, now: clock.now) == nil)
            #expect(try await queue.purgeCompleted(now: clock.now) == kept)
            #expect(try await queue.stats(now: clock.now).completed == 0)
        }
    }
}

@Suite struct QueueCostTests {
    /// Calls per command from redis' own `INFO commandstats` (commands run inside scripts included).
    static func commandStats(_ redis: RedisREST) async throws -> [String: Int] {
        let text = try await redis.send(["INFO", "commandstats"]).string ?? ""
        var calls: [String: Int] = [:]
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") {
            let name = line.dropFirst("cmdstat_".count).prefix { $0 != ":" }
            if let range = line.range(of: "calls="), let value = Int(line[range.upperBound...].prefix { $0.isNumber }) {
                calls[String(name)] = value
            }
        }
        return calls
    }

    /// A worker that goes on working completes a job and claims the next in one step: a job's
    /// happy path is an enqueue and that step, within 15 billed commands (scripts included).
    @Test func happyPathStaysWithinFifteenCommandsPerJob() async throws {
        try await RedisHarness.with { harness in
            var settings = QueueSettings()
            settings.name = "cost"
            let queue = RedisJobQueue(redis: harness.client(), settings: settings)
            let clock = ManualClock()
            // Warm the script cache, then count what the jobs add.
            _ = try await queue.enqueue(SampleJobs.job(pr: 100_000), now: clock.now)
            guard case .claimed(var held) = try await queue.claim(now: clock.now) else {
                Issue.record("the warm-up job was not claimed")
                return
            }
            let before = try await Self.commandStats(harness.client())

            let jobs = 64
            for pr in 1...jobs {
                _ = try await queue.enqueue(SampleJobs.job(pr: pr), now: clock.now)
                let (completed, next) = try await queue.completeAndClaim(held.lease, result: "{}", now: clock.now)
                guard completed, case .claimed(let claimed) = next, claimed.job.pullRequest.number == pr else { Issue.record("\(next)"); return }
                held = claimed
            }
            var calls = try await Self.commandStats(harness.client()).merging(before) { after, earlier in after - earlier }
            calls["info"] = nil
            calls = calls.filter { $0.value != 0 }
            let scripts = calls["evalsha", default: 0]
            let inner = calls.values.reduce(0, +) - scripts
            #expect(scripts == 2 * jobs)
            // Enqueue 5 (job, the count of jobs, the installation's set, its turn, the PR pointer);
            // complete 3 (lease, job, completed) and claim 4 (a turn, the installation's count read —
            // the next job takes the ended one's place —, its next job, carrying its JSON, the lease),
            // plus trims on one enqueue in 256.
            #expect(Double(inner) / Double(jobs) < 12.1, "\(calls)")
            #expect(Double(inner + scripts) / Double(jobs) < 14.1, "\(calls)")
            // The count is right after the swaps: the held job is the installation's one running job.
            #expect(try await harness.client().send(["HGET", "{cost}:active", String(held.job.repository.installationId)]).string == "1")
        }
    }

    /// A job that completes while another installation's turn has come hands its place back before
    /// that claim; an installation at its cap is served again once a job of it completes.
    @Test func completeAndClaimServesOthersAndKeepsTheCap() async throws {
        try await RedisHarness.with { harness in
            var settings = QueueSettings()
            settings.name = "swap"
            settings.installationConcurrency = 1
            let queue = RedisJobQueue(redis: harness.client(), settings: settings)
            let clock = ManualClock()
            for pr in 1...3 { _ = try await queue.enqueue(SampleJobs.job(pr: pr, installation: 1), now: clock.now) }
            _ = try await queue.enqueue(SampleJobs.job(pr: 9, installation: 2), now: clock.now)
            guard case .claimed(let first) = try await queue.claim(now: clock.now), first.job.repository.installationId == 1 else { Issue.record(); return }
            // Installation 1 is at its cap of 1: the next claim serves installation 2.
            guard case .claimed(let other) = try await queue.claim(now: clock.now), other.job.repository.installationId == 2 else { Issue.record(); return }
            // Nothing is due but the two leases.
            guard case .nothingDue(_, lease: true) = try await queue.claim(now: clock.now) else { Issue.record(); return }
            // Completing 1's job and claiming: 1's next job, in the ended one's place.
            let (held, next) = try await queue.completeAndClaim(first.lease, result: "{}", now: clock.now)
            guard held, case .claimed(let second) = next, second.job.repository.installationId == 1 else { Issue.record("\(next)"); return }
            // Completing 2's job: nothing of 2 waits, and 1 is at its cap again.
            let (otherHeld, none) = try await queue.completeAndClaim(other.lease, result: "{}", now: clock.now)
            guard otherHeld, case .nothingDue(_, lease: true) = none else { Issue.record("\(none)"); return }
            let (_, third) = try await queue.completeAndClaim(second.lease, result: "{}", now: clock.now)
            guard case .claimed(let last) = third, last.job.pullRequest.number == 3 else { Issue.record("\(third)"); return }
            #expect(try await queue.complete(last.lease, result: "{}", now: clock.now))
            #expect(try await harness.client().send(["HGET", "{swap}:active", "1"]).string == "0")
            #expect(try await harness.client().send(["HGET", "{swap}:active", "2"]).string == "0")
        }
    }
}
