import Foundation
import ReviewCore

/// The review job queue: Redis over the Upstash REST protocol, one Lua script per transition.
public struct RedisJobQueue: Sendable {
    public let redis: RedisREST
    public let settings: QueueSettings

    public init(redis: RedisREST, settings: QueueSettings = QueueSettings()) {
        self.redis = redis
        self.settings = settings
    }

    /// `{name}:` — every key of the queue shares this hash tag.
    public var prefix: String { "{\(settings.name)}:" }
    var schedule: String { prefix + "schedule" }
    var completed: String { prefix + "completed" }
    var failed: String { prefix + "failed" }
    func jobKey(_ id: String) -> String { prefix + "job:" + id }
    func pointerKey(_ pullRequestKey: String) -> String { prefix + "pr:" + pullRequestKey }

    /// Adds a job unless one for the same head exists; supersedes waiting jobs of older heads.
    public func enqueue(_ job: ReviewJob, now: Date) async throws -> EnqueueOutcome {
        let data = String(decoding: job.encoded(), as: UTF8.self)
        let reply = try await redis.eval(
            QueueScripts.enqueue,
            keys: [schedule, jobKey(job.id), pointerKey(job.pullRequestKey), completed, failed],
            args: [job.id, data, ms(now), job.deliveryId, prefix, "2592000", job.kind.isAutomatic ? "1" : "0"]
        ).array.map { $0.string ?? "" }
        guard reply.count == 3 else { throw Self.unexpected("enqueue") }
        if reply[0] == "duplicate" { return .duplicate(jobId: job.id, reason: reply[1]) }
        if reply[0] == "paused" { return .paused(jobId: job.id, reason: reply[1]) }
        return .queued(jobId: job.id, superseded: reply[2].isEmpty ? nil : reply[2])
    }

    /// Retires the waiting job of a pull request (it was closed); returns the ids cancelled.
    public func cancelWaiting(pullRequestKey: String, reason: String, now: Date) async throws -> [String] {
        try await redis.eval(QueueScripts.cancel, keys: [schedule, pointerKey(pullRequestKey), completed], args: [ms(now), reason, prefix, ""])
            .array.compactMap(\.string)
    }

    /// Stops automatic reviews of a pull request (cancelling its waiting one) for 90 days or until
    /// `resume`; returns the ids cancelled.
    public func pause(pullRequestKey: String, now: Date) async throws -> [String] {
        try await redis.eval(
            QueueScripts.cancel, keys: [schedule, pointerKey(pullRequestKey), completed],
            args: [ms(now), "automatic reviews paused on this pull request", prefix, "7776000"]
        ).array.compactMap(\.string)
    }

    /// Starts automatic reviews again; returns whether the pull request was paused.
    public func resume(pullRequestKey: String) async throws -> Bool {
        try await redis.eval(QueueScripts.resume, keys: [pointerKey(pullRequestKey)], args: []).int == 1
    }

    /// Takes the oldest due job (or an expired lease, re-run or failed once its attempts are spent).
    public func claim(now: Date, token: String = Self.newToken()) async throws -> ClaimOutcome {
        let reply = try await redis.eval(
            QueueScripts.claim, keys: [schedule, failed],
            args: [ms(now), String(Int(settings.lease * 1000)), token, String(settings.maxAttempts), prefix, ms(now - settings.failedRetention)]
        ).array.map { $0.string ?? "" }
        if reply.isEmpty { return .empty }
        if reply[0] == "none", reply.count == 3 { return .nothingDue(next: date(reply[1]), lease: reply[2] == "lease") }
        guard reply[0] == "claimed", reply.count == 6, let attempt = Int(reply[3]) else { throw Self.unexpected("claim") }
        let id = reply[1]
        let lease = Lease(jobId: id, token: token, deadline: date(reply[4]))
        guard let job = try? ReviewJob.decode(Data(reply[2].utf8)) else {
            _ = try await fail(lease, error: .badInput("stored job \(id) is not a valid review job"), now: now)
            return try await claim(now: now, token: token)
        }
        return .claimed(ClaimedJob(id: id, job: job, attempt: attempt, lease: lease))
    }

    /// Extends a lease; false when the caller lost it (it expired and another worker took the job).
    public func heartbeat(_ lease: Lease, until deadline: Date) async throws -> Bool {
        try await redis.eval(QueueScripts.heartbeat, keys: [schedule], args: [lease.member, ms(deadline)]).int == 1
    }

    /// Marks a held job done with a small result; false when the lease was lost (nothing changes then).
    public func complete(_ lease: Lease, result: String, now: Date) async throws -> Bool {
        try await redis.eval(
            QueueScripts.complete, keys: [schedule, jobKey(lease.jobId), completed],
            args: [lease.member, lease.jobId, ms(now), result, String(settings.completedKeep), ms(now - settings.completedRetention), prefix]
        ).int == 1
    }

    /// Re-queues a held job after `retryDelay` when the error is retryable and attempts remain,
    /// else moves it to `failed` with the error. A rate limit spends no attempt: the job waits, up
    /// to `longestLimitWait` in all.
    public func fail(_ lease: Lease, error: ReviewError, retryDelay: TimeInterval = 0, now: Date) async throws -> FailOutcome {
        let reply = try await redis.eval(
            QueueScripts.fail, keys: [schedule, jobKey(lease.jobId), failed],
            args: [
                lease.member, lease.jobId, ms(now), error.isRetryable ? "1" : "0",
                String(Int(max(0, retryDelay) * 1000)), error.description, String(settings.maxAttempts),
                ms(now - settings.failedRetention), prefix, error.code.isRateLimit ? "1" : "0", String(Int(settings.longestLimitWait * 1000)),
            ]
        ).array.map { $0.string ?? "" }
        switch reply.first {
        case "stale": return .staleLease
        case "retrying" where reply.count == 3: return .retrying(attempts: Int(reply[1]) ?? 0, at: date(reply[2]))
        case "failed" where reply.count == 2: return .failed(attempts: Int(reply[1]) ?? 0)
        default: throw Self.unexpected("fail")
        }
    }

    /// Moves failed jobs back to waiting with their attempts reset; no ids means every failed job.
    public func retryFailed(ids: [String], now: Date) async throws -> [String] {
        try await redis.eval(QueueScripts.retryFailed, keys: [schedule, failed], args: [ms(now), prefix] + ids).array.compactMap(\.string)
    }

    /// One PING: nil when the queue's Redis answers, else why not (for readiness checks).
    public func ping() async -> ReviewError? {
        do {
            let reply = try await redis.send(["PING"])
            return reply.string == "PONG" ? nil : ReviewError(.queueUnreachable, "Redis answered PING with \(reply)")
        } catch {
            return ReviewError.from(error, otherwise: .queueUnreachable)
        }
    }

    /// Counts by state (one script).
    public func stats(now: Date) async throws -> QueueStats {
        let counts = try await redis.eval(QueueScripts.stats, keys: [schedule, completed, failed], args: [ms(now)]).array.map { $0.int ?? 0 }
        guard counts.count == 7 else { throw Self.unexpected("stats") }
        return QueueStats(
            waiting: counts[0], delayed: counts[1], active: counts[2], expiredLeases: counts[3],
            completed: counts[4], failed: counts[5],
            oldestWaitingAge: counts[6] < 0 ? nil : max(0, (now.timeIntervalSince1970 * 1000 - Double(counts[6])) / 1000)
        )
    }

    /// One job's record, or nil when there is none.
    public func inspect(id: String, now: Date) async throws -> JobRecord? {
        let f = try await redis.eval(QueueScripts.inspect, keys: [schedule, jobKey(id)], args: [id, ms(now)]).array.map { $0.string ?? "" }
        guard f.count == 9 else { return nil }
        guard let state = JobRecord.State(rawValue: f[0]) else { throw Self.unexpected("inspect") }
        return JobRecord(
            id: id, state: state, job: try? ReviewJob.decode(Data(f[1].utf8)), attemptsSpent: Int(f[2]) ?? 0,
            error: f[3].isEmpty ? nil : f[3], lastError: f[4].isEmpty ? nil : f[4], result: f[5].isEmpty ? nil : f[5],
            finishedAt: f[6].isEmpty ? nil : date(f[6]), scheduledAt: f[7].isEmpty ? nil : date(f[7])
        )
    }

    /// The newest failed jobs, with their errors.
    public func failedJobs(limit: Int = 100) async throws -> [JobRecord] {
        let flat = try await redis.eval(QueueScripts.listFailed, keys: [failed], args: [prefix, String(limit)]).array.map { $0.string ?? "" }
        return stride(from: 0, to: flat.count - 4, by: 5).map { i in
            JobRecord(
                id: flat[i], state: .failed, job: try? ReviewJob.decode(Data(flat[i + 4].utf8)), attemptsSpent: Int(flat[i + 2]) ?? 0,
                error: flat[i + 1], lastError: nil, result: nil, finishedAt: flat[i + 3].isEmpty ? nil : date(flat[i + 3]), scheduledAt: nil
            )
        }
    }

    /// The jobs on the schedule — waiting, delayed and active — soonest first (one script).
    public func scheduledJobs(limit: Int = 100, now: Date) async throws -> [JobRecord] {
        let flat = try await redis.eval(QueueScripts.listScheduled, keys: [schedule], args: [prefix, String(limit), ms(now)]).array.map { $0.string ?? "" }
        return stride(from: 0, to: flat.count - 5, by: 6).compactMap { i in
            guard let state = JobRecord.State(rawValue: flat[i + 1]) else { return nil }
            return JobRecord(
                id: flat[i], state: state, job: try? ReviewJob.decode(Data(flat[i + 5].utf8)), attemptsSpent: Int(flat[i + 3]) ?? 0, error: nil,
                lastError: flat[i + 4].isEmpty ? nil : flat[i + 4], result: nil, finishedAt: nil, scheduledAt: date(flat[i + 2]))
        }
    }

    /// Removes completed jobs beyond `keep` (0: all of them); returns how many went.
    public func purgeCompleted(keep: Int = 0, now: Date) async throws -> Int {
        try await redis.eval(QueueScripts.trimCompleted, keys: [completed], args: [prefix, String(keep), ms(now - settings.completedRetention)]).int ?? 0
    }

    /// A fresh lease token.
    public static func newToken() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    private func ms(_ date: Date) -> String { String(Int64((date.timeIntervalSince1970 * 1000).rounded())) }
    private func date(_ ms: String) -> Date { Date(timeIntervalSince1970: (Double(ms) ?? 0) / 1000) }

    private static func unexpected(_ script: String) -> ReviewError {
        ReviewError(.queueProtocol, "the \(script) script returned an unexpected reply")
    }
}
