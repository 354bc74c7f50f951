import Foundation
import ReviewCore

/// How many jobs are in each state, and how long the oldest has waited.
public struct QueueStats: Sendable, Equatable, Codable {
    public var waiting: Int
    public var delayed: Int
    public var active: Int
    public var expiredLeases: Int
    public var completed: Int
    public var failed: Int
    /// Seconds the oldest due job has waited, nil when none waits.
    public var oldestWaitingAge: Double?
    /// Installations whose jobs wait for a GitHub rate limit to end.
    public var pausedInstallations: Int = 0
}

/// One job as `reviewctl queue show` reports it.
public struct JobRecord: Sendable, Equatable, Codable {
    /// Where a job is in its life. The terminal states are stored by the scripts; the others are
    /// read from the schedule and the lease.
    public enum State: String, Sendable, Codable {
        case waiting, delayed, active, completed, failed, cancelled, superseded
    }

    public var id: String
    public var state: State
    public var job: ReviewJob?
    public var attemptsSpent: Int
    public var error: String?
    public var lastError: String?
    public var result: String?
    public var finishedAt: Date?
    /// Run-at time (waiting, delayed) or lease deadline (active).
    public var scheduledAt: Date?
}
