import Foundation
import ReviewCore

/// Paces each installation's writes to GitHub across every worker and process, by GitHub's
/// documented limits ("Rate limits for the REST API" and "Best practices for using the REST API",
/// docs.github.com): writes (`POST`, `PATCH`, `PUT`, `DELETE`) one at a time with at least a
/// second between them, and content-creating requests — every `POST` we send creates something
/// people see: a review, a comment, a reply, a reaction, a check run — no more than 80 a minute
/// and 500 an hour. Each write reserves its slot in one Redis script; a slot further away than
/// `longestWait` is not waited for in the job: the job goes back to the queue without spending an
/// attempt, and its installation waits.
public struct WritePacer: Sendable {
    public let redis: RedisREST
    /// The queue's key prefix: the pacing keys share its hash tag.
    public let prefix: String
    public var gap: TimeInterval = 1
    public var perMinute = 80
    public var perHour = 500
    public var longestWait: TimeInterval = 60

    public init(redis: RedisREST, prefix: String) {
        self.redis = redis
        self.prefix = prefix
    }

    public init(queue: RedisJobQueue) { self.init(redis: queue.redis, prefix: queue.prefix) }

    /// When a write of `installation` may be sent (reserved: the next one comes after it).
    public func slot(installation: Int, creatingContent: Bool, now: Date) async throws -> Date {
        let ms = { (date: Date) in String(Int64((date.timeIntervalSince1970 * 1000).rounded())) }
        let reply = try await redis.eval(
            Self.reserve, keys: [prefix + "writes:\(installation)", prefix + "lastwrite"],
            args: [
                String(installation), ms(now), String(Int64(gap * 1000)), String(perMinute), String(perHour), creatingContent ? "1" : "0",
                UUID().uuidString,
            ])
        guard let at = reply.int else { throw ReviewError(.queueProtocol, "the write pacing script returned an unexpected reply") }
        return Date(timeIntervalSince1970: Double(at) / 1000)
    }

    /// KEYS: the installation's content writes (sorted set of reserved times), the last write per
    /// installation (hash). ARGV: installation, now ms, gap ms, per minute, per hour, '1' when the
    /// write creates content, a unique member. Answers the reserved time (ms): at least `gap` after
    /// the installation's last write, and for content with fewer than `per minute` content writes in
    /// the 60 s before it and fewer than `per hour` in the hour before it.
    static let reserve = RedisScript(
        name: "reserveWrite",
        source: """
            local gid, now, gap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local perMinute, perHour = tonumber(ARGV[4]), tonumber(ARGV[5])
            local at = math.max(now, tonumber(redis.call('HGET', KEYS[2], gid) or '0') + gap)
            if ARGV[6] == '1' then
              redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - 3600000))
              for _ = 1, 4 do
                local moved = false
                for _, window in ipairs({{60000, perMinute}, {3600000, perHour}}) do
                  local span, most = window[1], window[2]
                  local inside = redis.call('ZCOUNT', KEYS[1], '(' .. (at - span), '+inf')
                  if inside >= most then
                    -- The write that must leave the window first: then there is room.
                    local leaving = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (at - span), '+inf', 'WITHSCORES', 'LIMIT', inside - most, 1)
                    at = tonumber(leaving[2]) + span
                    moved = true
                  end
                end
                if not moved then break end
              end
              redis.call('ZADD', KEYS[1], at, ARGV[7])
              redis.call('PEXPIRE', KEYS[1], at - now + 3600000)
            end
            redis.call('HSET', KEYS[2], gid, at)
            return at
            """)
}
