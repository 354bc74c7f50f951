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
    /// Installations whose turn may come, and the leases of running jobs.
    var groups: String { prefix + "groups" }
    /// Running jobs per installation.
    var active: String { prefix + "active" }
    /// Installations paused by a rate limit, until when.
    var paused: String { prefix + "paused" }
    var completed: String { prefix + "completed" }
    var failed: String { prefix + "failed" }
    /// The one sorted set of every job before installations had sets of their own (read to move its jobs over).
    package var legacySchedule: String { prefix + "schedule" }
    package func jobKey(_ id: String) -> String { prefix + "job:" + id }
    func pointerKey(_ pullRequestKey: String) -> String { prefix + "pr:" + pullRequestKey }
    /// The waiting jobs of one installation.
    func waitingKey(_ installation: String) -> String { prefix + "g:" + installation }
    private var cap: String { String(settings.installationConcurrency) }

    /// Adds a job unless one for the same head exists; supersedes waiting jobs of older heads.
    public func enqueue(_ job: ReviewJob, now: Date) async throws -> EnqueueOutcome {
        let (keys, args) = enqueueCall(job, now: now)
        let reply = try await call(QueueScripts.enqueue, QueueReply.Enqueue.self, keys: keys, args: args)
        switch reply.status {
        case "duplicate": return .duplicate(jobId: job.id, reason: reply.reason ?? "")
        case "capped": return .capped(jobId: job.id, reason: reply.reason ?? "")
        case "paused": return .paused(jobId: job.id, reason: reply.reason ?? "")
        case "queued": return .queued(jobId: job.id, superseded: reply.superseded)
        default: throw Self.unexpected("enqueue")
        }
    }

    /// Enqueues many jobs, a thousand to a round trip (a pipeline of the enqueue script, which must
    /// be loaded: enqueue one job first). For loading a queue in bulk (the bench).
    package func enqueueAll(_ jobs: [ReviewJob], now: Date) async throws {
        for start in stride(from: 0, to: jobs.count, by: 1000) {
            let commands = jobs[start..<min(jobs.count, start + 1000)].map { job -> [String] in
                let (keys, args) = enqueueCall(job, now: now)
                return ["EVALSHA", QueueScripts.enqueue.sha1, String(keys.count)] + keys + args
            }
            for case .failure(let error) in try await redis.pipeline(commands) { throw error }
        }
    }

    private func enqueueCall(_ job: ReviewJob, now: Date) -> (keys: [String], args: [String]) {
        let installation = String(job.repository.installationId)
        return (
            [groups, jobKey(job.id), pointerKey(job.pullRequestKey), completed, failed, waitingKey(installation), prefix + "talk:" + job.pullRequestKey],
            [
                job.id, String(decoding: job.encoded(), as: UTF8.self), ms(now), job.deliveryId, prefix, "2592000", job.isAutomatic ? "1" : "0",
                installation, job.comment?.author ?? "", String(settings.commentJobsPerAuthor), String(settings.commentJobsPerPullRequest), "86400",
                job.comment?.allowed == true ? "1" : "0", String(settings.completedKeep), ms(now - settings.completedRetention),
            ]
        )
    }

    /// Retires the waiting job of a pull request (it was closed); returns the ids cancelled.
    public func cancelWaiting(pullRequestKey: String, reason: String, now: Date) async throws -> [String] {
        try await call(QueueScripts.cancel, QueueReply.Ids.self, keys: [pointerKey(pullRequestKey), completed], args: [ms(now), reason, prefix, ""]).ids
            .items
    }

    /// Stops automatic reviews of a pull request (cancelling its waiting one) for 90 days or until
    /// `resume`; returns the ids cancelled.
    public func pause(pullRequestKey: String, now: Date) async throws -> [String] {
        try await call(
            QueueScripts.cancel, QueueReply.Ids.self, keys: [pointerKey(pullRequestKey), completed],
            args: [ms(now), "automatic reviews paused on this pull request", prefix, "7776000"]
        ).ids.items
    }

    /// Starts automatic reviews again; returns whether the pull request was paused.
    public func resume(pullRequestKey: String) async throws -> Bool {
        try await redis.eval(QueueScripts.resume, keys: [pointerKey(pullRequestKey)], args: []).int == 1
    }

    /// Takes the next job round robin by installation — never more than
    /// `installationConcurrency` of one installation at once, none of a paused one — or re-runs
    /// (or fails, once its attempts are spent) a job whose lease expired.
    public func claim(now: Date, token: String = Self.newToken()) async throws -> ClaimOutcome {
        let reply = try await call(
            QueueScripts.claim, QueueReply.Claim.self, keys: [groups, failed, active, legacySchedule],
            args: [ms(now), String(Int(settings.lease * 1000)), token, String(settings.maxAttempts), prefix, ms(now - settings.failedRetention), cap]
        )
        return try await outcome(of: reply, token: token, now: now)
    }

    /// What a claim's reply means; a stored job that is not a valid job fails, and the next is claimed.
    private func outcome(of reply: QueueReply.Claim, token: String, now: Date) async throws -> ClaimOutcome {
        switch reply.status {
        case "empty": return .empty
        case "none": return .nothingDue(next: Date(milliseconds: reply.next ?? 0), lease: reply.kind == "lease")
        case "claimed": break
        default: throw Self.unexpected("claim")
        }
        guard let id = reply.id, let data = reply.data, let attempt = reply.attempt, let deadline = reply.deadline, let installation = reply.installation
        else { throw Self.unexpected("claim") }
        let lease = Lease(jobId: id, token: token, deadline: Date(milliseconds: deadline), installation: installation)
        guard let job = try? ReviewJob.decode(Data(data.utf8)) else {
            _ = try await fail(lease, error: .badInput("stored job \(id) is not a valid review job"), now: now)
            return try await claim(now: now, token: token)
        }
        return .claimed(ClaimedJob(id: id, job: job, attempt: attempt, lease: lease))
    }

    /// Extends a lease; false when the caller lost it (it expired and another worker took the job).
    public func heartbeat(_ lease: Lease, until deadline: Date) async throws -> Bool {
        try await redis.eval(QueueScripts.heartbeat, keys: [groups], args: [lease.member, ms(deadline)]).int == 1
    }

    /// Marks a held job done with a small result; false when the lease was lost (nothing changes then).
    public func complete(_ lease: Lease, result: String, now: Date) async throws -> Bool {
        try await call(QueueScripts.complete, QueueReply.Complete.self, keys: completeKeys(lease), args: completeArgs(lease, result: result, now: now)).held
    }

    /// `complete`, and the next job claimed in the same step (one round trip instead of two): what a
    /// worker that goes on working asks. `held` is false when the lease was lost.
    public func completeAndClaim(
        _ lease: Lease, result: String, now: Date, token: String = Self.newToken()
    ) async throws -> (
        held: Bool, next: ClaimOutcome
    ) {
        let reply = try await call(
            QueueScripts.complete, QueueReply.Complete.self, keys: completeKeys(lease),
            args: completeArgs(lease, result: result, now: now) + [
                String(Int(settings.lease * 1000)), token, String(settings.maxAttempts), ms(now - settings.failedRetention),
            ])
        guard let next = reply.next else { throw Self.unexpected("complete") }
        return (reply.held, try await outcome(of: next, token: token, now: now))
    }

    private func completeKeys(_ lease: Lease) -> [String] { [groups, jobKey(lease.jobId), completed, active, failed, legacySchedule] }

    private func completeArgs(_ lease: Lease, result: String, now: Date) -> [String] {
        [lease.member, lease.jobId, ms(now), result, prefix, lease.installation, cap]
    }

    /// Re-queues a held job after `retryDelay` when the error is retryable and attempts remain,
    /// else moves it to `failed` with the error. A rate limit spends no attempt: the job waits, up
    /// to `longestLimitWait` in all.
    public func fail(_ lease: Lease, error: ReviewError, retryDelay: TimeInterval = 0, now: Date) async throws -> FailOutcome {
        let reply = try await call(
            QueueScripts.fail, QueueReply.Fail.self, keys: [groups, jobKey(lease.jobId), failed, active],
            args: [
                lease.member, lease.jobId, ms(now), error.isRetryable ? "1" : "0",
                String(Int(max(0, retryDelay) * 1000)), error.description, String(settings.maxAttempts),
                ms(now - settings.failedRetention), prefix, error.code.isRateLimit ? "1" : "0", String(Int(settings.longestLimitWait * 1000)),
                lease.installation, cap,
            ]
        )
        switch reply.status {
        case "stale": return .staleLease
        case "retrying": return .retrying(attempts: reply.spent ?? 0, at: Date(milliseconds: reply.at ?? 0))
        case "failed": return .failed(attempts: reply.spent ?? 0)
        default: throw Self.unexpected("fail")
        }
    }

    /// Claims no job of `installation` for `seconds` (GitHub answered it with a rate limit), for
    /// every worker — four times as long as last time when the limit is met again soon after a pause
    /// ended, up to an hour; a report during a pause only moves its end later. Returns when the
    /// pause ends.
    @discardableResult
    public func pauseInstallation(_ installation: Int, for seconds: TimeInterval, now: Date) async throws -> Date {
        let reply = try await call(
            QueueScripts.pauseInstallation, QueueReply.Pause.self, keys: [groups, active, paused, prefix + "limits"],
            args: [String(installation), ms(now), String(Int(max(1, seconds) * 1000)), "3600000"])
        return Date(milliseconds: reply.until)
    }

    /// Moves failed jobs back to waiting with their attempts reset; no ids means every failed job.
    public func retryFailed(ids: [String], now: Date) async throws -> [String] {
        try await call(QueueScripts.retryFailed, QueueReply.Ids.self, keys: [groups, failed, active], args: [ms(now), prefix, cap] + ids).ids.items
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
        let counts = try await call(QueueScripts.stats, QueueReply.Stats.self, keys: [groups, completed, failed, active, paused], args: [ms(now), prefix])
        return QueueStats(
            waiting: counts.waiting, delayed: counts.delayed, active: counts.active, expiredLeases: counts.expiredLeases,
            completed: counts.completed, failed: counts.failed, unfinished: counts.unfinished,
            oldestWaitingAge: counts.oldestEnqueuedAt < 0 ? nil : max(0, (now.timeIntervalSince1970 * 1000 - Double(counts.oldestEnqueuedAt)) / 1000),
            pausedInstallations: counts.pausedInstallations,
            modelPausedSeconds: max(0, (Double(counts.modelPausedUntil) - now.timeIntervalSince1970 * 1000) / 1000)
        )
    }

    /// The queue's depth in O(1) (one script, a handful of commands whatever its size).
    public func depth() async throws -> QueueDepth {
        let reply = try await call(QueueScripts.depth, QueueReply.Depth.self, keys: [groups, completed, failed, active, paused], args: [prefix])
        return QueueDepth(unfinished: reply.unfinished, completed: reply.completed, failed: reply.failed, pausedInstallations: reply.pausedInstallations)
    }

    /// One job's record, or nil when there is none.
    public func inspect(id: String, now: Date) async throws -> JobRecord? {
        let f = try await call(QueueScripts.inspect, QueueReply.Inspect.self, keys: [groups, jobKey(id)], args: [id, ms(now), prefix])
        guard let stateName = f.state else { return nil }
        guard let state = JobRecord.State(rawValue: stateName) else { throw Self.unexpected("inspect") }
        return JobRecord(
            id: id, state: state, job: f.data.flatMap { try? ReviewJob.decode(Data($0.utf8)) }, attemptsSpent: f.spent ?? 0,
            error: f.error, lastError: f.lastError, result: f.result, finishedAt: f.finishedAt.map(Date.init(milliseconds:)),
            scheduledAt: f.scheduledAt.map(Date.init(milliseconds:))
        )
    }

    /// The newest failed jobs, with their errors.
    public func failedJobs(limit: Int = 100) async throws -> [JobRecord] {
        try await call(QueueScripts.listFailed, QueueReply.Jobs.self, keys: [failed], args: [prefix, String(limit)]).jobs.items.map { listed in
            JobRecord(
                id: listed.id, state: .failed, job: listed.data.flatMap { try? ReviewJob.decode(Data($0.utf8)) }, attemptsSpent: listed.spent ?? 0,
                error: listed.error ?? "", lastError: nil, result: nil, finishedAt: listed.finishedAt.map(Date.init(milliseconds:)), scheduledAt: nil
            )
        }
    }

    /// The jobs waiting, delayed and running, soonest first (one script).
    public func scheduledJobs(limit: Int = 100, now: Date) async throws -> [JobRecord] {
        try await call(QueueScripts.listScheduled, QueueReply.Jobs.self, keys: [groups, active], args: [prefix, String(limit), ms(now)]).jobs.items
            .compactMap { listed in
                guard let state = listed.state.flatMap(JobRecord.State.init(rawValue:)) else { return nil }
                return JobRecord(
                    id: listed.id, state: state, job: listed.data.flatMap { try? ReviewJob.decode(Data($0.utf8)) }, attemptsSpent: listed.spent ?? 0,
                    error: nil, lastError: listed.lastError, result: nil, finishedAt: nil, scheduledAt: listed.at.map(Date.init(milliseconds:)))
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

    /// Runs a script and reads its JSON answer.
    private func call<T: Decodable>(_ script: RedisScript, _ type: T.Type, keys: [String], args: [String]) async throws -> T {
        try QueueReply.decode(type, from: try await redis.eval(script, keys: keys, args: args), script: script.name)
    }

    private static func unexpected(_ script: String) -> ReviewError {
        ReviewError(.queueProtocol, "the \(script) script returned an unexpected reply")
    }
}
