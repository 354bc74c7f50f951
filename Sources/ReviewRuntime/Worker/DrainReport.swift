import Foundation
import Logging
import ReviewCore

/// What one drain did, returned as the invocation's result.
public struct DrainReport: Codable, Sendable, Equatable {
    /// What became of one claimed job.
    public enum Outcome: String, Codable, Sendable {
        case completed, retrying, failed
        /// Another worker took the job over (our lease expired); its result is theirs.
        case leaseLost = "lease-lost"
        /// The queue could not record the outcome: the lease expires and the job runs again.
        case unacknowledged
        /// The worker shut down mid-job and gave the lease back: another worker may claim it at once.
        case released
    }

    /// Why the drain returned.
    public enum Stop: String, Codable, Sendable {
        case empty
        case nothingDue = "nothing-due"
        case deadline
        /// The process is shutting down (SIGTERM): no new job was claimed.
        case shuttingDown = "shutting-down"
        /// A drain was already under way in this process: this request joined it, and that drain
        /// takes the queued jobs (and drains once more if the request came as it was finishing).
        case joined
        /// Serve mode answered a kick at once; the drain runs in the background.
        case accepted
    }

    /// What happened to one job in a drain.
    public struct JobOutcome: Codable, Sendable, Equatable {
        public var jobId: String
        public var attempt: Int
        public var outcome: Outcome
        public var error: String?
        public var durationMs: Int
    }

    public var stoppedBecause: Stop
    /// When the earliest delayed job (or running job's lease) falls due, if the queue holds one.
    public var nextDueAt: Date?
    /// True when that is a lease another worker holds: its job is running, nothing to wait for.
    public var nextDueIsLease: Bool?
    public var jobs: [JobOutcome]

    public func count(_ outcome: Outcome) -> Int { jobs.filter { $0.outcome == outcome }.count }

    /// When a drain should run again for the work this one left: when it falls due (a delayed
    /// job, a lease that may expire), at once after a drain that ran out of its own time, or never.
    public func nextDrain(now: Date) -> Date? {
        switch stoppedBecause {
        case .nothingDue: nextDueAt
        case .deadline: now
        case .empty, .joined, .shuttingDown, .accepted: nil
        }
    }
}
