import Foundation
import Logging
import ReviewCore

/// Claims and processes jobs until the queue is empty or the invocation's deadline is near, with
/// bounded concurrency; heartbeats long jobs; completes, reschedules or fails each one.
public struct JobDrainer: Sendable {
    public let queue: RedisJobQueue
    public let processor: any JobProcessor
    public var concurrency: Int
    /// No new job is claimed when less than this remains before the deadline.
    public var deadlineMargin: TimeInterval
    /// Reads the time for every queue call and paces the heartbeat and a patient drain's wait.
    public let clock: WallClock
    public var jitter: @Sendable () -> Double
    /// Set when the process is asked to stop: no new claims, and a job interrupted by the
    /// shutdown gives its lease back instead of waiting for it to expire.
    public let stopping = ShutdownFlag()
    /// One drain at a time for this drainer's process (`drainJoining`).
    let coordinator = DrainCoordinator()
    /// Called as each claimed job starts (a platform wake at its lease's end: if this worker dies
    /// with the job, the job is taken again then).
    public var onClaim: (@Sendable (ClaimedJob, Logger) async -> Void)?

    public init(
        queue: RedisJobQueue, processor: any JobProcessor, concurrency: Int = 2, deadlineMargin: TimeInterval = 30,
        clock: WallClock = .system, jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.queue = queue
        self.processor = processor
        self.concurrency = max(1, concurrency)
        self.deadlineMargin = deadlineMargin
        self.clock = clock
        self.jitter = jitter
    }

    private var policy: RetryPolicy { RetryPolicy(base: queue.settings.backoffBase, cap: queue.settings.backoffCap) }

    /// Drains the queue. With `patience`, a drain that leaves only delayed jobs waits for the next one
    /// when it falls due within that many seconds (and before the deadline) and drains again — a retry
    /// after a rate limit then runs in the same invocation instead of at the next scheduled drain.
    public func drain(deadline: Date, patience: TimeInterval = 0, logger: Logger) async throws -> DrainReport {
        var report = try await drainOnce(deadline: deadline, logger: logger)
        while report.stoppedBecause == .nothingDue, !stopping.isSet, let next = report.nextDueAt, report.nextDueIsLease != true {
            let wait = max(0, next.timeIntervalSince(clock.now()))
            guard wait <= patience, next.addingTimeInterval(deadlineMargin) < deadline else { break }
            logger.info("waiting for the next due job", metadata: ["seconds": "\(Int(wait.rounded(.up)))"])
            try await clock.sleep(wait + 0.001)  // the queue keeps times in milliseconds
            let more = try await drainOnce(deadline: deadline, logger: logger)
            report = DrainReport(
                stoppedBecause: more.stoppedBecause, nextDueAt: more.nextDueAt, nextDueIsLease: more.nextDueIsLease, jobs: report.jobs + more.jobs)
        }
        return report
    }

    /// `drain`, one at a time: a request that arrives while a drain runs joins it (answered at once,
    /// `joined`), and the running drain drains once more before it ends if any joined — so the
    /// process never runs more than `concurrency` jobs, and a job queued as a drain was finishing
    /// is still taken.
    public func drainJoining(deadline: Date, patience: TimeInterval = 0, logger: Logger) async throws -> DrainReport {
        guard await coordinator.begin() else { return DrainReport(stoppedBecause: .joined, nextDueAt: nil, jobs: []) }
        var report: DrainReport
        do {
            report = try await drain(deadline: deadline, patience: patience, logger: logger)
            // Ends only when nobody joined since the last look, in one step: a request cannot slip
            // in between the look and the end.
            while !(await coordinator.finishUnlessJoined()) {
                guard !stopping.isSet, clock.now().addingTimeInterval(deadlineMargin) < deadline else {
                    await coordinator.end()
                    break
                }
                let more = try await drain(deadline: deadline, patience: patience, logger: logger)
                report = DrainReport(
                    stoppedBecause: more.stoppedBecause, nextDueAt: more.nextDueAt, nextDueIsLease: more.nextDueIsLease, jobs: report.jobs + more.jobs)
            }
        } catch {
            await coordinator.end()
            throw error
        }
        return report
    }

    /// One pass: one claim when the queue is empty; extra workers start only once there is work.
    private func drainOnce(deadline: Date, logger: Logger) async throws -> DrainReport {
        if stopping.isSet { return DrainReport(stoppedBecause: .shuttingDown, nextDueAt: nil, jobs: []) }
        guard clock.now().addingTimeInterval(deadlineMargin) < deadline else {
            return DrainReport(stoppedBecause: .deadline, nextDueAt: nil, jobs: [])
        }
        let first: ClaimedJob
        switch try await queue.claim(now: clock.now()) {
        case .empty: return DrainReport(stoppedBecause: .empty, nextDueAt: nil, jobs: [])
        case .nothingDue(let next, let lease): return DrainReport(stoppedBecause: .nothingDue, nextDueAt: next, nextDueIsLease: lease, jobs: [])
        case .claimed(let job): first = job
        }
        let results = try await withThrowingTaskGroup(of: ([DrainReport.JobOutcome], ClaimOutcome?).self) { group in
            for worker in 0..<concurrency {
                group.addTask { try await work(starting: worker == 0 ? first : nil, deadline: deadline, logger: logger) }
            }
            var outcomes: [DrainReport.JobOutcome] = []
            var stops: [ClaimOutcome?] = []
            for try await (jobs, stop) in group {
                outcomes += jobs
                stops.append(stop)
            }
            return (outcomes, stops)
        }
        let nextDue = results.1.compactMap { stop -> (Date, Bool)? in if case .nothingDue(let next, let lease)? = stop { (next, lease) } else { nil } }
            .min { $0.0 < $1.0 }
        let stopped: DrainReport.Stop =
            results.1.contains { $0 == nil } ? (stopping.isSet ? .shuttingDown : .deadline) : nextDue != nil ? .nothingDue : .empty
        return DrainReport(stoppedBecause: stopped, nextDueAt: nextDue?.0, nextDueIsLease: nextDue?.1, jobs: results.0)
    }

    /// One worker: run jobs until a claim finds nothing (returned) or the deadline is near (nil).
    /// A job that succeeds is completed and the next one claimed in the same step.
    private func work(starting: ClaimedJob?, deadline: Date, logger: Logger) async throws -> ([DrainReport.JobOutcome], ClaimOutcome?) {
        var outcomes: [DrainReport.JobOutcome] = []
        var next = starting
        while true {
            var claim: ClaimOutcome?
            if let claimed = next {
                let ran = await run(claimed, claimingNext: { mayClaim(before: deadline) }, logger: logger)
                outcomes.append(ran.outcome)
                claim = ran.next
            }
            guard mayClaim(before: deadline) else { return (outcomes, nil) }
            if claim == nil { claim = try await queue.claim(now: clock.now()) }
            guard case .claimed(let claimed)? = claim else { return (outcomes, claim) }
            next = claimed
        }
    }

    /// Whether a new job may be taken: not shutting down, and the deadline not near.
    private func mayClaim(before deadline: Date) -> Bool {
        !stopping.isSet && clock.now().addingTimeInterval(deadlineMargin) < deadline
    }

    /// Processes one held job with a heartbeat, then records how it ended.
    public func run(_ claimed: ClaimedJob, logger: Logger) async -> DrainReport.JobOutcome {
        await run(claimed, claimingNext: { false }, logger: logger).outcome
    }

    /// `run`, and when the job succeeds and `claimingNext()` says so then, the next job claimed in
    /// the step that completes it.
    private func run(
        _ claimed: ClaimedJob, claimingNext: () -> Bool, logger: Logger
    ) async -> (outcome: DrainReport.JobOutcome, next: ClaimOutcome?) {
        var logger = logger
        logger[metadataKey: "jobId"] = "\(claimed.id)"
        logger[metadataKey: "repo"] = "\(claimed.job.repository)"
        logger[metadataKey: "pr"] = "\(claimed.job.pullRequest.number)"
        let started = clock.now()
        logger.info("job claimed", metadata: ["attempt": "\(claimed.attempt)"])
        await onClaim?(claimed, logger)
        let result = await processWithHeartbeat(claimed, logger: logger)
        let milliseconds = Int(clock.now().timeIntervalSince(started) * 1000)
        func outcome(_ name: DrainReport.Outcome, _ error: String? = nil) -> DrainReport.JobOutcome {
            ReviewMetrics.job(name, seconds: Double(milliseconds) / 1000)
            // A job that failed for good is an error; one retried, or whose lease or outcome was
            // lost, a warning; the rest is the normal course.
            let level: Logger.Level =
                switch name {
                case .failed: .error
                case .retrying, .leaseLost, .unacknowledged, .released: .warning
                default: .info
                }
            logger.log(
                level: level, "job \(name)",
                metadata: ["attempt": "\(claimed.attempt)", "durationMs": "\(milliseconds)"].merging(error.map { ["error": "\($0)"] } ?? [:]) { $1 })
            return DrainReport.JobOutcome(jobId: claimed.id, attempt: claimed.attempt, outcome: name, error: error, durationMs: milliseconds)
        }
        if case .failure = result, Task.isCancelled {
            // Shut down mid-job: give the lease back so another worker claims the job now, not
            // when the lease runs out. A fresh task, since this one's cancellation would stop the call.
            let lease = claimed.lease
            let given = await Task { try? await queue.heartbeat(lease, until: clock.now()) }.value
            return (outcome(given == true ? .released : .unacknowledged, "the worker shut down during the job"), nil)
        }
        do {
            switch result {
            case .success(let data):
                let result = String(decoding: data, as: UTF8.self)
                if claimingNext() {
                    let (held, next) = try await queue.completeAndClaim(claimed.lease, result: result, now: clock.now())
                    return (outcome(held ? .completed : .leaseLost), next)
                }
                let held = try await queue.complete(claimed.lease, result: result, now: clock.now())
                return (outcome(held ? .completed : .leaseLost), nil)
            case .failure(let error):
                ReviewMetrics.errors(error.code)
                if error.code == .githubRateLimited {
                    // Every worker leaves the installation alone until its limit ends; others go on.
                    if let until = try? await queue.pauseInstallation(claimed.job.repository.installationId, for: error.retryAfter ?? 60, now: clock.now()) {
                        logger.warning(
                            "installation paused for GitHub's rate limit",
                            metadata: ["installation": "\(claimed.job.repository.installationId)", "seconds": "\(Int(until.timeIntervalSince(clock.now())))"])
                    }
                }
                let delay =
                    error.code.isRateLimit
                    ? policy.limitDelay(retryAfter: error.retryAfter, spread: queue.settings.limitSpread, jitter: jitter())
                    : policy.delay(afterAttempt: claimed.attempt, jitter: jitter(), retryAfter: error.retryAfter)
                switch try await queue.fail(claimed.lease, error: error, retryDelay: delay, now: clock.now()) {
                case .retrying:
                    await processor.jobFailed(claimed.job, error: error, attempt: claimed.attempt, willRetry: true, logger: logger)
                    return (outcome(.retrying, error.description), nil)
                case .failed:
                    await processor.jobFailed(claimed.job, error: error, attempt: claimed.attempt, willRetry: false, logger: logger)
                    return (outcome(.failed, error.description), nil)
                case .staleLease: return (outcome(.leaseLost, error.description), nil)
                }
            }
        } catch {
            // The queue could not record the outcome: the lease expires and the job runs again.
            return (outcome(.unacknowledged, "\(error)"), nil)
        }
    }

    private struct LeaseLost: Error {}

    private func processWithHeartbeat(_ claimed: ClaimedJob, logger: Logger) async -> Result<Data, ReviewError> {
        let lease = queue.settings.lease
        do {
            return .success(
                try await withThrowingTaskGroup(of: Data?.self) { group in
                    group.addTask { try await processor.process(claimed.job, attempt: claimed.attempt, logger: logger) }
                    group.addTask {
                        while true {
                            try await clock.sleep(max(0.05, lease / 3))
                            // A queue hiccup is not a lost lease: keep working and try again next beat.
                            let held = (try? await queue.heartbeat(claimed.lease, until: clock.now().addingTimeInterval(lease))) ?? true
                            guard held else { throw LeaseLost() }
                        }
                    }
                    while let next = try await group.next() {
                        if let data = next {
                            group.cancelAll()
                            return data
                        }
                    }
                    throw LeaseLost()
                })
        } catch let error as ReviewError {
            return .failure(error)
        } catch is LeaseLost {
            return .failure(ReviewError(.leaseLost, "another worker took over this job"))
        } catch {
            return .failure(ReviewError.from(error))
        }
    }
}

/// Whether a drain runs in this process, and whether a request joined it meanwhile.
actor DrainCoordinator {
    private var running = false
    private var joined = false

    /// True when the caller may drain; false when one runs (the request is noted as joined).
    func begin() -> Bool {
        guard !running else {
            joined = true
            return false
        }
        running = true
        joined = false
        return true
    }

    /// Ends the drain and answers true, unless a request joined since the last look: then it
    /// forgets that request and answers false (drain again).
    func finishUnlessJoined() -> Bool {
        guard !joined else {
            joined = false
            return false
        }
        running = false
        return true
    }

    func end() {
        running = false
        joined = false
    }
}
