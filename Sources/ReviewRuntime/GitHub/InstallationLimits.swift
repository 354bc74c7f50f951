import Foundation
import NIOConcurrencyHelpers
import ReviewCore

/// What this process knows of each installation's GitHub rate limit, shared by every job it runs:
/// once GitHub answers an installation with a rate limit — or says fewer than `reserve` requests
/// are left before its reset (`x-ratelimit-remaining`, `x-ratelimit-reset`, read on every answer) —
/// no request of that installation leaves the process until the limit ends. The job then ends
/// `github_rate_limited`, is rescheduled without spending an attempt, and its installation is
/// paused in the queue for every worker (`RedisJobQueue.pauseInstallation`).
public final class InstallationLimits: Sendable {
    /// Requests kept back from an installation's quota, so the jobs already under way never meet a 0.
    public let reserve: Int
    private let pausedUntil = NIOLockedValueBox<[Int: Date]>([:])

    public init(reserve: Int = 50) { self.reserve = max(0, reserve) }

    /// Throws `github_rate_limited` when the installation is paused here, without a request.
    func check(_ installation: Int, now: Date, what: String) throws(ReviewError) {
        guard let until = pausedUntil.withLockedValue({ $0[installation] }), until > now else { return }
        let seconds = until.timeIntervalSince(now)
        throw ReviewError(
            .githubRateLimited, "GitHub's rate limit for installation \(installation) lasts \(Int(seconds.rounded(.up))) s more: nothing sent while \(what)",
            retryAfter: seconds)
    }

    /// Reads an answer's quota headers: a rate limit, or what remains under the reserve, pauses the installation.
    func observe(_ response: HTTPResponse, installation: Int, now: Date) {
        if let remaining = response.header("x-ratelimit-remaining").flatMap(Int.init), remaining <= reserve,
            let reset = response.header("x-ratelimit-reset").flatMap(TimeInterval.init)
        {
            pause(installation, until: Date(timeIntervalSince1970: reset))
        }
    }

    /// No request of the installation until `until` (a later end wins).
    func pause(_ installation: Int, until: Date) {
        pausedUntil.withLockedValue { paused in
            if let current = paused[installation], current >= until { return }
            paused[installation] = until
        }
    }
}
