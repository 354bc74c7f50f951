import Foundation
import Logging
import ReviewCore

/// Serve mode's drains that do not hold their caller, and that wake themselves.
///
/// - A kick (`Prefer: respond-async`, what webhook-ingest sends) is answered at once and drained
///   here, one drain at a time for the process (`JobDrainer.drainJoining`): a webhook's answer never
///   waits for a review.
/// - A drain that leaves only future work — a retry due later, another worker's lease that may
///   expire — sets one timer for the earliest of them and drains again then, so a job whose lease
///   expired or whose retry came due is taken without waiting for the next delivery. An empty
///   queue sets no timer: an idle process sends nothing.
/// - On shutdown the timer is dropped and the drain under way gets the grace period; a job it is
///   still running then is cancelled and gives its lease back.
public actor BackgroundDrains {
    private let drainer: JobDrainer
    private let maxSeconds: TimeInterval
    private let patience: TimeInterval
    /// The platform's timer, for when this process is gone by the time the work falls due.
    private let platformWake: DrainWake?
    /// The logger of the request that last kicked or scheduled (a timer's drain logs with it).
    private var logger = Logger(label: "review-job")
    private var drains: [Int: Task<Void, Never>] = [:]
    private var nextDrainId = 0
    private var wake: (at: Date, task: Task<Void, Never>)?
    /// Drains that ended since the start (for tests and the log).
    public private(set) var finished = 0

    public init(drainer: JobDrainer, maxSeconds: TimeInterval, patience: TimeInterval, wake: DrainWake? = nil) {
        self.drainer = drainer
        self.maxSeconds = maxSeconds
        self.patience = patience
        self.platformWake = wake
    }

    /// When the next drain is set to wake, if one is.
    public var wakesAt: Date? { wake?.at }

    /// Starts a drain now (one already under way takes it over: `joined`).
    public func kick(logger: Logger) {
        self.logger = logger
        kick()
    }

    private func kick() {
        guard !drainer.stopping.isSet else { return }
        let id = nextDrainId
        nextDrainId += 1
        drains[id] = Task { [self] in
            await drain()
            await ended(id)
        }
    }

    /// A drain ended (here or in the caller's request): wake when what it left falls due.
    public func schedule(after report: DrainReport, logger: Logger) {
        self.logger = logger
        schedule(after: report)
    }

    private func schedule(after report: DrainReport) {
        if let next = report.nextDrain(now: drainer.clock.now()) { wake(at: next) }
    }

    /// Shutting down: no more timers; the drains under way get `grace` seconds, then are cancelled
    /// (an interrupted job gives its lease back).
    public func finish(grace: TimeInterval) async {
        wake?.task.cancel()
        wake = nil
        let running = Array(drains.values)
        guard !running.isEmpty else { return }
        let timer = Task { [drainer] in
            try? await drainer.clock.sleep(grace)
            if !Task.isCancelled { for drain in running { drain.cancel() } }
        }
        for drain in running { await drain.value }
        timer.cancel()
    }

    private func drain() async {
        do {
            let report = try await drainer.drainJoining(
                deadline: drainer.clock.now().addingTimeInterval(maxSeconds), patience: patience, logger: logger)
            if report.stoppedBecause != .joined {
                logger.info("background drain ended", metadata: ["stoppedBecause": "\(report.stoppedBecause.rawValue)", "jobs": "\(report.jobs.count)"])
            }
            schedule(after: report)
            await platformWake?.after(report, logger: logger)
        } catch {
            // The queue did not answer: try again in a minute rather than leave the jobs for the next delivery.
            logger.warning("background drain failed; trying again in 60 s", metadata: ["error": "\(ReviewError.from(error).message)"])
            wake(at: drainer.clock.now().addingTimeInterval(60))
        }
    }

    private func ended(_ id: Int) {
        drains[id] = nil
        finished += 1
    }

    /// One timer, for the earliest time asked.
    private func wake(at date: Date) {
        guard !drainer.stopping.isSet else { return }
        if let wake, wake.at <= date { return }
        wake?.task.cancel()
        let delay = max(0, date.timeIntervalSince(drainer.clock.now())) + 0.001  // the queue keeps milliseconds
        wake = (
            date,
            Task { [self, drainer] in
                do { try await drainer.clock.sleep(delay) } catch { return }
                await fired(at: date)
            }
        )
    }

    private func fired(at date: Date) {
        guard wake?.at == date else { return }
        wake = nil
        kick()
    }
}
