import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewTesting
import Testing

@testable import ReviewRuntime

/// Work left for later wakes a drain through the platform's own timer — EventBridge Scheduler on
/// AWS, Cloud Tasks on Cloud Run — so it is taken within a minute of falling due with no process of
/// ours alive in between; an empty queue asks for nothing.
@Suite struct PlatformWakeTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)  // a whole minute
    static let credentials = AWSCredentials(accessKeyId: "AKIDSTANDIN", secretAccessKey: "wake-secret-key", sessionToken: "wake-session")
    static let function = "arn:aws:lambda:eu-west-1:123456789012:function:pr-review-ReviewJobFunction-abc"
    static let role = "arn:aws:iam::123456789012:role/pr-review-wake"

    /// Fails a job's first attempt (GitHub answered 502), then completes it, reporting each completion.
    final class FlakyProcessor: Sendable {
        let done = AsyncStream<String>.makeStream()
        private let attempts = NIOLockedValueBox(0)
        var processor: ScriptedProcessor {
            ScriptedProcessor { [self] job, _ in
                let first = attempts.withLockedValue {
                    $0 += 1
                    return $0 == 1
                }
                if first { throw ReviewError(.githubUnavailable, "GitHub answered 502") }
                done.continuation.yield(job.id)
                return Data("{}".utf8)
            }
        }
    }

    func awsEnvironment(_ harness: RedisHarness, scheduler: EventBridgeSchedulerStandIn) -> [String: String] {
        harness.environment().merging([
            "REVIEW_RECORD_URL": "http://127.0.0.1:9/record", "DRAIN_WAIT_SECONDS": "0", "REVIEW_JOB_WAKE": "scheduler:self",
            "REVIEW_JOB_WAKE_ROLE_ARN": Self.role, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": Self.credentials.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": Self.credentials.secretAccessKey, "AWS_SESSION_TOKEN": Self.credentials.sessionToken!,
            "AWS_ENDPOINT_URL_SCHEDULER": scheduler.url.absoluteString,
        ]) { $1 }
    }

    var lambdaContext: InvocationContext {
        var context = InvocationContext(logger: .quiet)
        context.invokedFunctionArn = Self.function
        return context
    }

    @Test func aRetryDueLaterIsWokenByEventBridgeScheduler() async throws {
        try await RedisHarness.with { harness in
            let clock = ManualClock(Self.start)
            let scheduler = try await EventBridgeSchedulerStandIn.start(credentials: Self.credentials, region: "eu-west-1", now: { clock.now })
            let flaky = FlakyProcessor()
            let config = try ReviewJobConfig.load(EnvironmentReader(awsEnvironment(harness, scheduler: scheduler)))
            let handler = ReviewJobHandler(config: config, processor: flaky.processor, clock: clock.wallClock)
            // An empty queue: nothing is asked of the platform.
            _ = try await handler.handle(event: DrainKick.event, context: lambdaContext)
            #expect(scheduler.requests == 0)
            let job = SampleJobs.job(pr: 1)
            _ = try await handler.drainer.queue.enqueue(job, now: clock.now)
            let report = try JSONDecoder.iso.decode(DrainReport.self, from: try await handler.handle(event: DrainKick.event, context: lambdaContext))
            #expect(report.stoppedBecause == .nothingDue && report.jobs.map(\.outcome) == [.retrying])
            // Two one-time schedules, whole minutes: the retry's, and the claimed job's lease end (in
            // case this worker had died with it). Both invoke this very function with a drain.
            let retryAt = try #require(try await handler.drainer.queue.inspect(id: job.id, now: clock.now)?.scheduledAt)
            let wakes = scheduler.pending
            #expect(wakes.map(\.at) == [DrainWake.minute(atOrAfter: retryAt), DrainWake.minute(atOrAfter: Self.start + 121)].sorted(), "\(wakes)")
            #expect(wakes.allSatisfy { $0.target == Self.function && $0.identity == Self.role && $0.body == DrainWake.event })
            // Another worker asking for the same minute makes no second schedule.
            let other = DrainWake(
                target: try #require(config.wake), queueName: config.queue.name, transport: AsyncHTTPClientTransport(), clock: clock.wallClock)
            await other.learn(invokedFunction: Self.function)
            #expect(await other.wake(at: retryAt, logger: .quiet) == "already scheduled")
            #expect(scheduler.pending.count == 2)
            // No process runs until the schedule fires; a fresh one drains, and the job is done.
            clock.set(wakes[0].at)
            let fresh = ReviewJobHandler(config: config, processor: flaky.processor, clock: clock.wallClock)
            for wake in scheduler.fire(upTo: clock.now) { _ = try await fresh.handle(event: wake.body, context: lambdaContext) }
            var done = flaky.done.stream.makeAsyncIterator()
            #expect(await done.next() == job.id)
            #expect(try await handler.drainer.queue.inspect(id: job.id, now: clock.now)?.state == .completed)
            #expect(!scheduler.pending.contains(wakes[0]))  // the fired schedule deleted itself
            await scheduler.stop()
        }
    }

    /// A worker that dies holding a job (no heartbeat, no release) left a wake at its lease's end:
    /// the job is taken again then, with nothing else arriving.
    @Test func aJobWhoseWorkerDiedIsTakenAtItsLeaseEnd() async throws {
        try await RedisHarness.with { harness in
            let world = ManualClock(Self.start)
            let scheduler = try await EventBridgeSchedulerStandIn.start(credentials: Self.credentials, region: "eu-west-1", now: { Self.start })
            let config = try ReviewJobConfig.load(EnvironmentReader(awsEnvironment(harness, scheduler: scheduler)))
            // The dying worker's time stands still (it never heartbeats again); its job never ends.
            let frozen = ManualClock(Self.start)
            let started = AsyncStream<Void>.makeStream()
            let hang = AsyncStream<Void>.makeStream()
            let dying = ReviewJobHandler(
                config: config,
                processor: ScriptedProcessor { _, _ in
                    started.continuation.yield()
                    for await _ in hang.stream {}
                    throw CancellationError()
                }, clock: frozen.wallClock)
            let job = SampleJobs.job(pr: 2)
            _ = try await dying.drainer.queue.enqueue(job, now: Self.start)
            let worker = Task { [lambdaContext] in try? await dying.handle(event: DrainKick.event, context: lambdaContext) }
            // The job started, after its claim asked for a wake a little after the lease's end.
            var began = started.stream.makeAsyncIterator()
            _ = await began.next()
            let wake = try #require(scheduler.pending.first)
            #expect(scheduler.pending.count == 1 && wake.at == DrainWake.minute(atOrAfter: Self.start + 121))
            world.set(wake.at)
            let done = AsyncStream<String>.makeStream()
            let survivor = ReviewJobHandler(
                config: config,
                processor: ScriptedProcessor { job, _ in
                    done.continuation.yield(job.id)
                    return Data("{}".utf8)
                }, clock: world.wallClock)
            for due in scheduler.fire(upTo: world.now) { _ = try await survivor.handle(event: due.body, context: lambdaContext) }
            var finished = done.stream.makeAsyncIterator()
            #expect(await finished.next() == job.id)
            let record = try await survivor.drainer.queue.inspect(id: job.id, now: world.now)
            #expect(record?.state == .completed && record?.attemptsSpent == 1)
            worker.cancel()
            hang.continuation.finish()
            _ = await worker.value
            await scheduler.stop()
        }
    }

    @Test func cloudRunWakesThroughCloudTasks() async throws {
        try await RedisHarness.with { harness in
            let queuePath = "projects/pr-review/locations/europe-west1/queues/review-job-wake"
            let tasks = try await CloudTasksStandIn.start(queue: queuePath)
            let clock = ManualClock(Self.start)
            let env = harness.environment().merging([
                "REVIEW_RECORD_URL": "http://127.0.0.1:9/record", "DRAIN_WAIT_SECONDS": "0", "REVIEW_JOB_WAKE": "cloudtasks:\(queuePath)",
                "REVIEW_JOB_WAKE_URL": "https://review-job-abc-ew.a.run.app/",
                "REVIEW_JOB_WAKE_SERVICE_ACCOUNT": "pr-review-scheduler@pr-review.iam.gserviceaccount.com",
                "CLOUD_TASKS_API_URL": tasks.url.absoluteString, "GCE_METADATA_HOST": "127.0.0.1:\(tasks.server.port)",
            ]) { $1 }
            let flaky = FlakyProcessor()
            let config = try ReviewJobConfig.load(EnvironmentReader(env))
            let handler = ReviewJobHandler(config: config, processor: flaky.processor, clock: clock.wallClock)
            let job = SampleJobs.job(pr: 3)
            _ = try await handler.drainer.queue.enqueue(job, now: clock.now)
            let drain = HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1/")!, body: DrainKick.event)
            let answer = await handler.handle(http: drain, context: InvocationContext(logger: .quiet))
            #expect(try JSONDecoder.iso.decode(DrainReport.self, from: answer.body).jobs.map(\.outcome) == [.retrying])
            let pending = tasks.pending
            #expect(pending.count == 2 && pending.allSatisfy { $0.at.timeIntervalSince1970.truncatingRemainder(dividingBy: 60) == 0 })
            #expect(
                pending.allSatisfy {
                    $0.target == "https://review-job-abc-ew.a.run.app/" && $0.body == DrainWake.event
                        && $0.identity == "pr-review-scheduler@pr-review.iam.gserviceaccount.com" && $0.name.hasPrefix(queuePath + "/tasks/prreview-")
                })
            #expect(tasks.tokensServed == 1)  // the instance's token is kept, not read per task
            clock.set(pending[0].at)
            for task in tasks.fire(upTo: clock.now) {
                _ = await handler.handle(
                    http: HTTPRequest(method: "POST", url: URL(string: task.target)!, body: task.body), context: InvocationContext(logger: .quiet))
            }
            var done = flaky.done.stream.makeAsyncIterator()
            #expect(await done.next() == job.id)
            await handler.background.finish(grace: 1_000)
            await tasks.stop()
        }
    }

    /// On Cloud Run ingest's kick is a Cloud Tasks task run at once: the drain runs inside Cloud
    /// Tasks' request (with its CPU), the webhook waits only for the task's creation, and a burst
    /// makes one task a second.
    @Test func cloudRunKicksThroughCloudTasks() async throws {
        let queuePath = "projects/pr-review/locations/europe-west1/queues/review-job-kick"
        let clock = ManualClock(Self.start)
        let tasks = try await CloudTasksStandIn.start(queue: queuePath, now: { clock.now })
        let env = [
            "REVIEW_JOB_KICK": "cloudtasks:\(queuePath)", "REVIEW_JOB_KICK_URL": "https://review-job-abc-ew.a.run.app/",
            "REVIEW_JOB_KICK_SERVICE_ACCOUNT": "pr-review-scheduler@pr-review.iam.gserviceaccount.com", "CLOUD_TASKS_API_URL": tasks.url.absoluteString,
            "GCE_METADATA_HOST": "127.0.0.1:\(tasks.server.port)",
        ]
        let reader = EnvironmentReader(env)
        let target = try #require(DrainKick.load(reader))
        try reader.validate()
        // A generous timeout: outcomes are asserted, not speed, on two loaded cores.
        let kick = DrainKick(target: target, timeout: 60, transport: AsyncHTTPClientTransport(), clock: clock.wallClock)
        let (first, second) = (await kick.send(logger: .quiet), await kick.send(logger: .quiet))
        #expect(first == "sent" && second == "sent")
        #expect(tasks.pending.count == 1)
        clock.advance(by: 1)
        let third = await kick.send(logger: .quiet)
        #expect(third == "sent")
        let sent = tasks.fire(upTo: clock.now)
        #expect(sent.count == 2 && sent.allSatisfy { $0.body == DrainKick.event && $0.target == "https://review-job-abc-ew.a.run.app/" })
        #expect(sent.map(\.at) == [Self.start, Self.start + 1] && tasks.tokensServed == 1)
        await tasks.stop()
    }

    @Test func aWakeThatCannotWorkIsRefusedAtStart() throws {
        for (value, extra) in [
            ("cloudtasks:projects/p/queues/q", [:]), ("scheduler:", ["REVIEW_JOB_WAKE_ROLE_ARN": Self.role]), ("cron:* * * * *", [:]),
            ("scheduler:self", [:]),  // no role to invoke as
        ] as [(String, [String: String])] {
            let env = [
                "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:9", "UPSTASH_REDIS_REST_TOKEN": "t", "REVIEW_RECORD_URL": "http://127.0.0.1:9/r",
                "REVIEW_JOB_WAKE": value, "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b",
            ].merging(extra) { $1 }
            #expect(throws: ReviewError.self, "\(value)") { try ReviewJobConfig.load(EnvironmentReader(env)) }
        }
    }
}
