import Foundation
import ReviewCore

/// How long things live in the queue; every value can be set from the environment (see `QueueSettings.load`).
public struct QueueSettings: Sendable, Equatable {
    public var name = "reviews"
    public var lease: TimeInterval = 120
    public var maxAttempts = 5
    /// Jobs of one installation running at once, across every worker and process: the rest of its
    /// jobs wait while other installations' jobs are claimed.
    public var installationConcurrency = 2
    /// Comment jobs (commands, thread replies) queued per pull request a day: per author, and for all
    /// the people who may not command the reviewer together.
    public var commentJobsPerAuthor = 20
    public var commentJobsPerPullRequest = 100
    public var backoffBase: TimeInterval = 10
    public var backoffCap: TimeInterval = 600
    /// How long a job may wait for rate limits in all (they spend no attempt) before it fails.
    public var longestLimitWait: TimeInterval = 6 * 3600
    /// Jobs stopped by one rate limit start again spread over up to this long after it ends, so
    /// they do not all call at the reset.
    public var limitSpread: TimeInterval = 60
    public var failedRetention: TimeInterval = 7 * 24 * 3600
    public var completedKeep = 1000
    public var completedRetention: TimeInterval = 7 * 24 * 3600

    public init() {}
}
