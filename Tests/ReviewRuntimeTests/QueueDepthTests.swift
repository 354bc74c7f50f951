import Foundation
import ReviewCore
import ReviewTesting
import Testing

@testable import ReviewRuntime

/// The queue's depth is counted by the scripts (O(1)), and the count stays what a scan finds
/// through every way a job comes and goes.
@Suite struct QueueDepthTests {
    func queue(_ harness: RedisHarness, keep: Int = 1000) -> RedisJobQueue {
        var settings = QueueSettings()
        settings.name = "d-\(UUID().uuidString.prefix(8))"
        settings.maxAttempts = 2
        settings.completedKeep = keep
        return RedisJobQueue(redis: harness.client(), settings: settings)
    }

    /// The counted depth against what the sets and leases hold.
    func expectConsistent(_ queue: RedisJobQueue, now: Date, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let stats = try await queue.stats(now: now)
        let depth = try await queue.depth()
        #expect(depth.unfinished == stats.waiting + stats.delayed + stats.active, "\(step): \(depth) vs \(stats)", sourceLocation: sourceLocation)
        #expect(stats.unfinished == depth.unfinished && depth.completed == stats.completed && depth.failed == stats.failed, "\(step)")
    }

    @Test func theCountedDepthFollowsEveryWayAJobComesAndGoes() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness, keep: 2)
            let clock = ManualClock()
            let now = { clock.now }
            try await expectConsistent(queue, now: now(), "empty")
            for pr in 1...4 { _ = try await queue.enqueue(SampleJobs.job(pr: pr), now: now()) }
            _ = try await queue.enqueue(SampleJobs.job(pr: 1), now: now())  // a redelivery
            try await expectConsistent(queue, now: now(), "queued, one duplicate")
            #expect(try await queue.depth().unfinished == 4)
            // A newer head supersedes PR 2's waiting job; PR 3 closes; PR 4 is paused.
            _ = try await queue.enqueue(SampleJobs.job(pr: 2, head: String(repeating: "c", count: 40)), now: now())
            _ = try await queue.cancelWaiting(pullRequestKey: SampleJobs.job(pr: 3).pullRequestKey, reason: "closed", now: now())
            _ = try await queue.pause(pullRequestKey: SampleJobs.job(pr: 4).pullRequestKey, now: now())
            _ = try await queue.enqueue(SampleJobs.job(pr: 4, head: String(repeating: "d", count: 40)), now: now())  // refused while paused
            try await expectConsistent(queue, now: now(), "superseded, cancelled, paused")
            // Claimed: one completes, one fails for good, one is retried later, one's lease expires.
            guard case .claimed(let first) = try await queue.claim(now: now()), case .claimed(let second) = try await queue.claim(now: now()) else {
                Issue.record("nothing to claim")
                return
            }
            try await expectConsistent(queue, now: now(), "two running")
            #expect(try await queue.complete(first.lease, result: "{}", now: now()))
            _ = try await queue.fail(second.lease, error: ReviewError(.githubUnavailable, "502"), retryDelay: 30, now: now())
            try await expectConsistent(queue, now: now(), "completed, retrying")
            clock.advance(by: 31)
            guard case .claimed(let again) = try await queue.claim(now: now()) else {
                Issue.record("the retry was not claimed")
                return
            }
            _ = try await queue.fail(again.lease, error: .badInput("for good"), now: now())
            try await expectConsistent(queue, now: now(), "failed for good")
            _ = try await queue.retryFailed(ids: [], now: now())
            try await expectConsistent(queue, now: now(), "replayed")
            guard case .claimed = try await queue.claim(now: now()) else {
                Issue.record("the replayed job was not claimed")
                return
            }
            clock.advance(by: 1_000)  // its lease expires: run again, then failed once attempts are spent
            _ = try await queue.claim(now: now())
            clock.advance(by: 1_000)
            _ = try await queue.claim(now: now())
            try await expectConsistent(queue, now: now(), "leases expired")
            // Trimmed and purged finished jobs leave the count of unfinished ones as it was.
            for pr in 10...14 {
                _ = try await queue.enqueue(SampleJobs.job(pr: pr), now: now())
                if case .claimed(let job) = try await queue.claim(now: now()) { _ = try await queue.complete(job.lease, result: "{}", now: now()) }
            }
            try await expectConsistent(queue, now: now(), "trimmed")
            _ = try await queue.purgeCompleted(now: now())
            try await expectConsistent(queue, now: now(), "purged")
        }
    }

    /// A queue written before the counts existed gets its baseline from one scan.
    @Test func aQueueFromBeforeTheCountsIsCountedOnce() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let clock = ManualClock()
            for pr in 1...3 { _ = try await queue.enqueue(SampleJobs.job(pr: pr), now: clock.now) }
            _ = try await queue.claim(now: clock.now)
            _ = try await harness.client().send(["DEL", queue.prefix + "counts"])
            #expect(try await queue.depth().unfinished == 3)
            _ = try await queue.enqueue(SampleJobs.job(pr: 4), now: clock.now)
            #expect(try await queue.depth().unfinished == 4)
        }
    }

    /// The oldest waiting job's age counts from its enqueue, a retry due later included.
    @Test func theOldestAgeCountsFromEnqueueDelayedIncluded() async throws {
        try await RedisHarness.with { harness in
            let queue = queue(harness)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            _ = try await queue.enqueue(SampleJobs.job(pr: 1, at: start), now: start)
            guard case .claimed(let job) = try await queue.claim(now: start) else {
                Issue.record("nothing to claim")
                return
            }
            _ = try await queue.fail(job.lease, error: ReviewError(.githubUnavailable, "502"), retryDelay: 600, now: start.addingTimeInterval(5))
            let stats = try await queue.stats(now: start.addingTimeInterval(65))
            #expect(stats.waiting == 0 && stats.delayed == 1 && stats.oldestWaitingAge == 65)
        }
    }
}

/// `GET /queue/depth`: the O(1) depth for an autoscaler, behind the metrics token, and an empty
/// queue remembered so a poller costs an idle deployment nothing.
@Suite struct QueueDepthEndpointTests {
    @Test func aPollerReadsTheDepthAndAnEmptyQueueIsRemembered() async throws {
        try await RedisHarness.with { harness in
            let clock = ManualClock()
            let env = harness.environment().merging(["REVIEW_RECORD_URL": "http://127.0.0.1:9/record"]) { $1 }
            let handler = ReviewJobHandler(config: try ReviewJobConfig.load(EnvironmentReader(env)), processor: ScriptedProcessor(), clock: clock.wallClock)
            let endpoint = QueueDepthEndpoint(token: "poller-token", host: "0.0.0.0", clock: clock.wallClock)
            func poll(_ token: String? = "poller-token") async -> HTTPResponse {
                await FunctionRunner.route(
                    HTTPRequest(url: URL(string: "http://127.0.0.1/queue/depth")!, headers: token.map { ["authorization": "Bearer \($0)"] } ?? [:]),
                    handler: handler, depth: endpoint, logger: .quiet)
            }
            func unfinished(_ response: HTTPResponse) throws -> Int { try JSONDecoder().decode(QueueDepth.self, from: response.body).unfinished }
            let (stranger, wrong, first) = (await poll(nil), await poll("wrong"), await poll())
            #expect(stranger.status == 401 && wrong.status == 401)
            #expect(try first.status == 200 && unfinished(first) == 0 && first.header("x-depth-from") == "queue")
            // Something queued behind this process's back: the remembered empty queue still answers.
            _ = try await handler.drainer.queue.enqueue(SampleJobs.job(pr: 1), now: clock.now)
            let remembered = await poll()
            #expect(try unfinished(remembered) == 0 && remembered.header("x-depth-from") == "memory")
            // An invocation of this process, or an hour, and the queue is read again.
            _ = await FunctionRunner.route(
                HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1/")!, body: Data("not json".utf8)), handler: handler, depth: endpoint,
                logger: .quiet)
            let read = await poll()
            #expect(try unfinished(read) == 1 && read.header("x-depth-from") == "queue")
            _ = try await handler.drainer.drain(deadline: clock.now + 600, logger: .quiet)
            let drained = await poll()
            #expect(try unfinished(drained) == 0)
            _ = try await handler.drainer.queue.enqueue(SampleJobs.job(pr: 2), now: clock.now)
            clock.advance(by: 3_601)
            let later = await poll()
            #expect(try unfinished(later) == 1)
        }
    }
}
