import Foundation

/// When to try a failed job again: exponential backoff with jitter, never sooner than the failing
/// service asked (`retry-after`, a rate-limit reset).
public struct RetryPolicy: Sendable, Equatable {
    public var base: TimeInterval
    public var cap: TimeInterval

    public init(base: TimeInterval = 10, cap: TimeInterval = 600) {
        self.base = base
        self.cap = cap
    }

    /// The delay after failed attempt `attempt` (1-based). `jitter` in 0...1 spreads retries of many
    /// jobs ("equal jitter": half the backoff is fixed, half random).
    public func delay(afterAttempt attempt: Int, jitter: Double, retryAfter: TimeInterval? = nil) -> TimeInterval {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        let backoff = min(cap, base * pow(2, exponent))
        let jittered = backoff / 2 + backoff / 2 * min(1, max(0, jitter))
        return max(jittered, retryAfter ?? 0)
    }

    /// The wait after a rate limit (which spends no attempt): what the service asked, or the
    /// backoff base when it said nothing, then a share of `spread` (at most the wait itself), so
    /// jobs stopped by one limit come back one by one instead of all at its reset.
    public func limitDelay(retryAfter: TimeInterval?, spread: TimeInterval, jitter: Double) -> TimeInterval {
        let wait = max(1, retryAfter ?? base)
        return wait + min(spread, wait) * min(1, max(0, jitter))
    }
}
