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
    /// Jobs not finished yet: waiting, delayed or running (counted, not scanned).
    public var unfinished: Int = 0
    /// Seconds since the oldest waiting job was enqueued (delayed ones included; the head of each
    /// installation's set), nil when none waits.
    public var oldestWaitingAge: Double?
    /// Installations whose jobs wait for a GitHub rate limit to end.
    public var pausedInstallations: Int = 0
    /// Seconds until the model's shared circuit closes (0: closed).
    public var modelPausedSeconds: Double = 0
}

/// The queue's depth in O(1): what an autoscaler polls (`GET /queue/depth`).
public struct QueueDepth: Sendable, Equatable, Codable {
    /// Jobs not finished yet: waiting, delayed or running.
    public var unfinished: Int
    public var completed: Int
    public var failed: Int
    public var pausedInstallations: Int
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
