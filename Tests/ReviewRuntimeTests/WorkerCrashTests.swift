import Foundation
import Logging
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// A real `review-job` process killed with SIGKILL in the middle of a job.
@Suite struct WorkerCrashTests {
    /// Answers the first request only when released (the job is "mid-review" until then), the rest at once.
    final class HoldingSink: Sendable {
        let server: HTTPServer
        let arrivals: AsyncStream<Int>
        private let held: NIOLockedValueBox<CheckedContinuation<Void, Never>?>
        private let count: NIOLockedValueBox<Int>

        var requests: Int { count.withLockedValue { $0 } }

        init() async throws {
            let (arrivals, signal) = AsyncStream.makeStream(of: Int.self)
            let held = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
            let count = NIOLockedValueBox(0)
            server = try await HTTPServer.start(port: 0) { _ in
                let number = count.withLockedValue {
                    $0 += 1; return $0
                }
                if number == 1 {
                    await withCheckedContinuation { continuation in
                        held.withLockedValue { $0 = continuation }
                        signal.yield(number)
                    }
                } else {
                    signal.yield(number)
                }
                return .json(200, Data("{}".utf8))
            }
            self.arrivals = arrivals
            self.held = held
            self.count = count
        }

        func release() {
            held.withLockedValue {
                $0?.resume(); $0 = nil
            }
        }
        var url: URL { URL(string: "http://127.0.0.1:\(server.port)/record")! }
    }

    @Test func killedWorkerJobRunsAgainAfterItsLeaseAndCompletesOnce() async throws {
        try await RedisHarness.with { harness in
            let sink = try await HoldingSink()
            var settings = QueueSettings()
            settings.name = "crash"
            settings.lease = 2
            let queue = RedisJobQueue(redis: harness.client(), settings: settings)
            let job = SampleJobs.job(pr: 77)
            // The worker is a real process on real time: the job is queued at the real time, read once.
            // After that the test reads no clock of its own (a leased job's state does not depend on it).
            let queuedAt = Date()
            _ = try await queue.enqueue(job, now: queuedAt)

            let worker = try ChildProcess.spawn(
                try Tools.binary("review-job").path, arguments: ["drain"],
                environment: harness.environment(queue: "crash").merging(
                    // One drain task and a long lease: however slow the machine, nothing but the test's own
                    // drainer (its clock set past the deadline) can take the job over.
                    [
                        "QUEUE_LEASE_SECONDS": "60", "DRAIN_CONCURRENCY": "1", "REVIEW_RECORD_URL": sink.url.absoluteString, "PATH": "/usr/bin:/bin",
                        "LOG_LEVEL": "critical",
                    ],
                    uniquingKeysWith: { $1 }
                )
            )

            // The worker holds the job and is inside the processor: kill it there.
            var arrivals = sink.arrivals.makeAsyncIterator()
            #expect(await arrivals.next() == 1)
            let during = try #require(try await queue.inspect(id: job.id, now: queuedAt))
            #expect(during.state == .active)
            worker.send(SIGKILL)
            _ = try await onOwnThread { worker.wait() }
            #expect(worker.endedBySignal)

            // Another worker, once the lease has expired (its clock set past the deadline, no waiting).
            // The deadline is read after the kill: the worker may have heartbeated in between.
            let afterKill = try #require(try await queue.inspect(id: job.id, now: queuedAt))
            #expect(afterKill.state == .active)
            let clock = ManualClock(try #require(afterKill.scheduledAt).addingTimeInterval(0.001))
            let drainer = JobDrainer(
                queue: queue, processor: JobRecorder(recordURL: sink.url, transport: AsyncHTTPClientTransport()),
                concurrency: 1, deadlineMargin: 0, clock: clock.wallClock
            )
            let report = try await drainer.drain(deadline: clock.now + 60, logger: .quiet)
            sink.release()
            await sink.server.stop()

            #expect(report.jobs.map(\.outcome) == [.completed])
            #expect(report.jobs.first?.attempt == 2)
            #expect(sink.requests == 2)
            let record = try #require(try await queue.inspect(id: job.id, now: clock.now))
            #expect(record.state == .completed && record.result == #"{"recorded":true,"attempt":2}"#)
            #expect(record.lastError?.contains("lease expired 1 time(s)") == true)
            // Nothing left to run: the job completed exactly once.
            #expect(try await queue.claim(now: clock.now + 3600) == .empty)
        }
    }
}
