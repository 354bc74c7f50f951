import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewTesting
import Testing

@testable import ReviewRuntime

/// Serve mode: a kick is answered before its drain runs, and a drain that leaves future work wakes
/// itself when it falls due — no delivery needed.
@Suite struct BackgroundDrainTests {
    /// A processor that reports each job it finishes, and holds each one until `release` is called.
    final class HeldProcessor: Sendable {
        let done = AsyncStream<String>.makeStream()
        let gate = AsyncStream<Void>.makeStream()
        let failFirst: Bool
        private let attempts = NIOLockedValueBox(0)

        init(failFirst: Bool = false) { self.failFirst = failFirst }

        var processor: ScriptedProcessor {
            ScriptedProcessor { [self] job, _ in
                var gate = self.gate.stream.makeAsyncIterator()
                _ = await gate.next()
                let first = attempts.withLockedValue {
                    $0 += 1
                    return $0 == 1
                }
                if failFirst, first { throw ReviewError(.githubUnavailable, "GitHub answered 502") }
                done.continuation.yield(job.id)
                return Data("{}".utf8)
            }
        }

        func release() { gate.continuation.yield() }
    }

    func handler(_ harness: RedisHarness, _ processor: HeldProcessor, clock: ManualClock) throws -> ReviewJobHandler {
        let env = harness.environment().merging(["REVIEW_RECORD_URL": "http://127.0.0.1:9/record", "DRAIN_CONCURRENCY": "2", "DRAIN_WAIT_SECONDS": "0"]) {
            $1
        }
        return ReviewJobHandler(config: try ReviewJobConfig.load(EnvironmentReader(env)), processor: processor.processor, clock: clock.wallClock)
    }

    static func drainRequest(async: Bool) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: URL(string: "http://127.0.0.1/")!, headers: async ? ["prefer": "respond-async"] : [:], body: DrainKick.event)
    }

    @Test func aKickIsAnsweredBeforeItsJobRuns() async throws {
        try await RedisHarness.with { harness in
            let clock = ManualClock()
            let held = HeldProcessor()
            let handler = try handler(harness, held, clock: clock)
            let job = SampleJobs.job(pr: 1)
            _ = try await handler.drainer.queue.enqueue(job, now: clock.now)
            // The job cannot finish until released, and the kick is answered first.
            let answer = await handler.handle(http: Self.drainRequest(async: true), context: InvocationContext(logger: .quiet))
            #expect(answer.status == 202)
            #expect(try JSONDecoder.iso.decode(DrainReport.self, from: answer.body).stoppedBecause == .accepted)
            held.release()
            var done = held.done.stream.makeAsyncIterator()
            #expect(await done.next() == job.id)
            // Its drain ends before the queue goes away (nothing sleeps on the clock meanwhile).
            await handler.background.finish(grace: 1_000)
            // The kick ingest sends asks for exactly this.
            let kick = try #require(
                DrainKick(target: .http(url: URL(string: "http://127.0.0.1:9/")!, token: nil), transport: AsyncHTTPClientTransport()).request())
            #expect(ReviewJobHandler.prefersAsync(kick))
        }
    }

    @Test func aJobWhoseWorkerDiedIsTakenWhenItsLeaseEnds() async throws {
        try await RedisHarness.with { harness in
            let clock = ManualClock()
            let held = HeldProcessor()
            let handler = try handler(harness, held, clock: clock)
            let queue = handler.drainer.queue
            // An empty queue: the drain leaves no timer (an idle process sends nothing).
            let empty = await handler.handle(http: Self.drainRequest(async: false), context: InvocationContext(logger: .quiet))
            #expect(try JSONDecoder.iso.decode(DrainReport.self, from: empty.body).stoppedBecause == .empty)
            #expect(await handler.background.wakesAt == nil)
            // A worker took the job and died: its lease runs out 120 s from now.
            let job = SampleJobs.job(pr: 2)
            _ = try await queue.enqueue(job, now: clock.now)
            guard case .claimed(let dead) = try await queue.claim(now: clock.now) else {
                Issue.record("the job was not claimed")
                return
            }
            let answer = await handler.handle(http: Self.drainRequest(async: false), context: InvocationContext(logger: .quiet))
            #expect(try JSONDecoder.iso.decode(DrainReport.self, from: answer.body).stoppedBecause == .nothingDue)
            #expect(await handler.background.wakesAt == dead.lease.deadline)
            // Nothing else arrives. The clock reaches the lease's end, and the job runs again.
            clock.advance(by: await clock.sleeper { $0 > 100 })
            held.release()
            var done = held.done.stream.makeAsyncIterator()
            #expect(await done.next() == job.id)
            // Its drain ends (nothing sleeps on the clock meanwhile: no grace runs out).
            await handler.background.finish(grace: 1_000)
            #expect(try await queue.inspect(id: job.id, now: clock.now)?.state == .completed)
        }
    }

    @Test func aRetryDueLaterRunsWhenItFallsDue() async throws {
        try await RedisHarness.with { harness in
            let clock = ManualClock()
            let held = HeldProcessor(failFirst: true)
            let handler = try handler(harness, held, clock: clock)
            let job = SampleJobs.job(pr: 3)
            _ = try await handler.drainer.queue.enqueue(job, now: clock.now)
            held.release()
            let answer = await handler.handle(http: Self.drainRequest(async: false), context: InvocationContext(logger: .quiet))
            let report = try JSONDecoder.iso.decode(DrainReport.self, from: answer.body)
            #expect(report.stoppedBecause == .nothingDue && report.jobs.map(\.outcome) == [.retrying])
            let due = try #require(report.nextDueAt)
            // The report's time went through JSON in whole seconds.
            #expect(abs((await handler.background.wakesAt ?? .distantPast).timeIntervalSince(due)) < 1)
            clock.advance(by: await clock.sleeper())
            #expect(clock.now > due.addingTimeInterval(-1))
            held.release()
            var done = held.done.stream.makeAsyncIterator()
            #expect(await done.next() == job.id)
            await handler.background.finish(grace: 1_000)
        }
    }
}
