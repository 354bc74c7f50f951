import Foundation
import ReviewCore

/// What enqueueing did.
public enum EnqueueOutcome: Sendable, Equatable {
    case queued(jobId: String, superseded: String?)
    case duplicate(jobId: String, reason: String)
    /// Automatic reviews are paused on the pull request: the job was recorded as cancelled.
    case paused(jobId: String, reason: String)
    /// A comment's job over its pull request's daily budget (per author, or for all): not queued.
    case capped(jobId: String, reason: String)
}

/// A job handed to a worker, with the lease that proves it holds it.
public struct ClaimedJob: Sendable, Equatable {
    public var id: String
    public var job: ReviewJob
    /// 1 for the first run; counts runs that ended in a failure or an expired lease.
    public var attempt: Int
    public var lease: Lease
}

/// Proof of holding a job: only the current holder can heartbeat, complete or fail it.
public struct Lease: Sendable, Equatable {
    public var jobId: String
    public var token: String
    public var deadline: Date
    /// The installation whose running jobs this one counts among (its cap, its pauses).
    public var installation: String

    var member: String { "\(jobId)|\(token)|\(installation)" }
}

/// What a claim found.
public enum ClaimOutcome: Sendable, Equatable {
    case claimed(ClaimedJob)
    /// Nothing due now; the earliest delayed job — or, when `lease`, another worker's lease — falls due at this time.
    case nothingDue(next: Date, lease: Bool)
    case empty
}

/// What recording a failure did: rescheduled, failed for good, or the lease was lost.
public enum FailOutcome: Sendable, Equatable {
    case retrying(attempts: Int, at: Date)
    case failed(attempts: Int)
    /// The caller no longer held the lease; nothing changed.
    case staleLease
}
