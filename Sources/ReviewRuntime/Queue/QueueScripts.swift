/// The job queue's state changes, one Lua script each, so every transition is atomic and costs one
/// round trip. Keys share the queue's `{hash tag}`; see docs/queue.md for the layout and the cost of each.
///
/// `schedule` holds both waiting jobs (member `id`, score = run-at ms) and active ones
/// (member `id|token`, score = lease deadline ms): the lowest due member is either the next job or an
/// expired lease, so a claim finds both with one `ZPOPMIN`.
enum QueueScripts {
    /// Shared Lua helpers: delete the hashes of finished jobs past a count and an age.
    private static let trimHelper = """
        -- keep < 0: no count limit. slack: how far over `keep` the set may grow before a trim, so
        -- that a trim removes many jobs in a few commands instead of one job in four on every call.
        local function trim(zset, prefix, keep, cutoff, slack)
          local victims = {}
          if keep >= 0 then
            local count = redis.call('ZCARD', zset)
            if count > keep + (slack or 0) then victims = redis.call('ZRANGE', zset, 0, count - keep - 1) end
          end
          if cutoff then
            for _, id in ipairs(redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. cutoff, 'LIMIT', 0, 1000)) do
              victims[#victims + 1] = id
            end
          end
          for first = 1, #victims, 500 do
            local keys, members = {}, {}
            for i = first, math.min(first + 499, #victims) do
              keys[#keys + 1] = prefix .. 'job:' .. victims[i]
              members[#members + 1] = victims[i]
            end
            redis.call('DEL', unpack(keys))
            redis.call('ZREM', zset, unpack(members))
          end
          return #victims
        end
        """

    /// KEYS: schedule, job, pr pointer, completed, failed.
    /// ARGV: id, job JSON, now ms, delivery id, key prefix, pr pointer TTL s, '1' for an automatic
    /// review (it moves the pointer, supersedes the pull request's waiting review, and is refused
    /// while the pointer says the pull request is paused) or '0' for a comment's job.
    /// Returns {status, reason, superseded id}; status is queued, duplicate or paused.
    static let enqueue = RedisScript(
        name: "enqueue",
        source: """
            local PAUSED = '!paused'
            local schedule, job, pointer, completed, failed = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
            local id, data, now, delivery, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
            if redis.call('HSETNX', job, 'data', data) == 0 then
              local fields = redis.call('HMGET', job, 'state', 'data')
              local state = fields[1]
              local ok, previous = pcall(cjson.decode, fields[2] or '{}')
              if ok and type(previous) == 'table' and previous['deliveryId'] == delivery then
                return {'duplicate', 'delivery ' .. delivery .. ' was already received', ''}
              end
              if not state or state == 'completed' then
                return {'duplicate', 'a job for this pull request head already exists (' .. (state or 'waiting or active') .. ')', ''}
              end
              redis.call('HDEL', job, 'state', 'result', 'error', 'lastError', 'finishedAt')
              redis.call('HSET', job, 'data', data, 'spent', 0, 'limitWaitMs', 0)
              redis.call('ZREM', completed, id)
              redis.call('ZREM', failed, id)
            end
            redis.call('ZADD', schedule, now, id)
            if ARGV[7] ~= '1' then return {'queued', '', ''} end
            local previous = redis.call('SET', pointer, id, 'GET', 'EX', ARGV[6])
            if previous == PAUSED then
              -- Paused: the pointer stays paused and the job ends cancelled, with why.
              redis.call('SET', pointer, PAUSED, 'KEEPTTL')
              redis.call('ZREM', schedule, id)
              local reason = 'automatic reviews are paused on this pull request'
              redis.call('HSET', job, 'state', 'cancelled', 'result', reason, 'finishedAt', now)
              redis.call('ZADD', completed, now, id)
              return {'paused', reason, ''}
            end
            local superseded = ''
            if previous and previous ~= id and redis.call('ZREM', schedule, previous) == 1 then
              redis.call('HSET', prefix .. 'job:' .. previous, 'state', 'superseded', 'result', 'superseded by ' .. id, 'finishedAt', now)
              redis.call('ZADD', completed, now, previous)
              superseded = previous
            end
            return {'queued', '', superseded}
            """)

    /// KEYS: schedule, failed. ARGV: now ms, lease ms, token, max attempts, key prefix, failed cutoff ms.
    /// Returns {} when the queue is empty, {'none', next due ms, 'job' or 'lease'} when nothing is due yet,
    /// or {'claimed', id, job JSON, attempt, lease deadline ms, expired leases failed}.
    static let claim = RedisScript(
        name: "claim",
        source: trimHelper + """

            local schedule, failed = KEYS[1], KEYS[2]
            local now, lease, token, max, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5]
            local exhausted = 0
            for _ = 1, 1000 do
              local head = redis.call('ZPOPMIN', schedule)
              if #head == 0 then return {} end
              local member, score = head[1], tonumber(head[2])
              if score > now then
                redis.call('ZADD', schedule, head[2], member)
                return {'none', head[2], string.find(member, '|', 1, true) and 'lease' or 'job'}
              end
              local id = member
              local bar = string.find(member, '|', 1, true)
              local runnable = true
              if bar then
                id = string.sub(member, 1, bar - 1)
                local spent = redis.call('HINCRBY', prefix .. 'job:' .. id, 'spent', 1)
                local reason = 'lease expired ' .. spent .. ' time(s): the worker stopped or overran its lease'
                if spent >= max then
                  redis.call('HSET', prefix .. 'job:' .. id, 'state', 'failed', 'error', reason, 'finishedAt', now)
                  redis.call('ZADD', failed, now, id)
                  trim(failed, prefix, -1, now - tonumber(ARGV[6]))
                  exhausted = exhausted + 1
                  runnable = false
                else
                  redis.call('HSET', prefix .. 'job:' .. id, 'lastError', reason)
                end
              end
              if runnable then
                local fields = redis.call('HMGET', prefix .. 'job:' .. id, 'data', 'spent')
                if fields[1] then
                  redis.call('ZADD', schedule, now + lease, id .. '|' .. token)
                  return {'claimed', id, fields[1], tostring((tonumber(fields[2]) or 0) + 1), tostring(now + lease), tostring(exhausted)}
                end
              end
            end
            return {'none', tostring(now), 'job'}
            """)

    /// KEYS: schedule. ARGV: member (id|token), new deadline ms. Returns 1 when the caller still holds the lease.
    static let heartbeat = RedisScript(
        name: "heartbeat",
        source: """
            if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
            redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
            return 1
            """)

    /// KEYS: schedule, job, completed. ARGV: member, id, now ms, result JSON, keep count, age cutoff ms, key prefix.
    /// Returns 1, or 0 when the caller no longer holds the lease (nothing changes then).
    static let complete = RedisScript(
        name: "complete",
        source: trimHelper + """

            if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
            redis.call('HSET', KEYS[2], 'state', 'completed', 'result', ARGV[4], 'finishedAt', ARGV[3])
            redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
            -- Trim checks cost a command, so they are spread by the id's SHA-1: by age on the one job in 16
            -- whose hash starts with 0, by count on the one starting with 1 (on every job when keep is small).
            local bucket, keep = string.sub(redis.sha1hex(ARGV[2]), 1, 1), tonumber(ARGV[5])
            if bucket == '0' then
              trim(KEYS[3], ARGV[7], -1, tonumber(ARGV[6]))
            elseif bucket == '1' or keep < 160 then
              trim(KEYS[3], ARGV[7], keep, nil, math.max(1, math.floor(keep / 10)))
            end
            return 1
            """)

    /// KEYS: schedule, job, failed. ARGV: member, id, now ms, retryable 0/1, retry delay ms, error,
    /// max attempts, failed cutoff ms, key prefix, '1' for a rate limit, longest total wait for
    /// rate limits ms. A rate limit spends no attempt: it adds its delay to the job's `limitWaitMs`
    /// and fails the job only once that total would pass the longest wait.
    /// Returns {'stale'}, {'retrying', attempts spent, run-at ms} or {'failed', attempts spent}.
    static let fail = RedisScript(
        name: "fail",
        source: trimHelper + """

            if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {'stale'} end
            local now = tonumber(ARGV[3])
            if ARGV[10] == '1' then
              local waited = redis.call('HINCRBY', KEYS[2], 'limitWaitMs', tonumber(ARGV[5]))
              local spent = tonumber(redis.call('HGET', KEYS[2], 'spent') or '0')
              if waited <= tonumber(ARGV[11]) then
                local at = now + tonumber(ARGV[5])
                redis.call('ZADD', KEYS[1], at, ARGV[2])
                redis.call('HSET', KEYS[2], 'lastError', ARGV[6])
                return {'retrying', tostring(spent), tostring(at)}
              end
              local reason = 'rate limited for more than ' .. math.floor(tonumber(ARGV[11]) / 1000) .. ' s in all: ' .. ARGV[6]
              redis.call('HSET', KEYS[2], 'state', 'failed', 'error', reason, 'finishedAt', ARGV[3])
              redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
              trim(KEYS[3], ARGV[9], -1, tonumber(ARGV[8]))
              return {'failed', tostring(spent)}
            end
            local spent = redis.call('HINCRBY', KEYS[2], 'spent', 1)
            if ARGV[4] == '1' and spent < tonumber(ARGV[7]) then
              local at = now + tonumber(ARGV[5])
              redis.call('ZADD', KEYS[1], at, ARGV[2])
              redis.call('HSET', KEYS[2], 'lastError', ARGV[6])
              return {'retrying', tostring(spent), tostring(at)}
            end
            redis.call('HSET', KEYS[2], 'state', 'failed', 'error', ARGV[6], 'finishedAt', ARGV[3])
            redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
            trim(KEYS[3], ARGV[9], -1, tonumber(ARGV[8]))
            return {'failed', tostring(spent)}
            """)

    /// KEYS: schedule, pr pointer, completed. ARGV: now ms, reason, key prefix, pause TTL s or ''.
    /// Cancels the pull request's waiting review. With a TTL the pointer is left paused (`pause`);
    /// without one it is cleared (the PR closed), unless the PR is paused. Returns the ids cancelled.
    static let cancel = RedisScript(
        name: "cancel",
        source: """
            local id
            if ARGV[4] ~= '' then
              id = redis.call('SET', KEYS[2], '!paused', 'GET', 'EX', ARGV[4])
            else
              id = redis.call('GET', KEYS[2])
              if id and id ~= '!paused' then redis.call('DEL', KEYS[2]) end
            end
            if not id or id == '!paused' or redis.call('ZREM', KEYS[1], id) == 0 then return {} end
            redis.call('HSET', ARGV[3] .. 'job:' .. id, 'state', 'cancelled', 'result', ARGV[2], 'finishedAt', ARGV[1])
            redis.call('ZADD', KEYS[3], ARGV[1], id)
            return {id}
            """)

    /// KEYS: pr pointer. Clears a pause; returns 1 when the pull request was paused.
    static let resume = RedisScript(
        name: "resume",
        source: """
            if redis.call('GET', KEYS[1]) ~= '!paused' then return 0 end
            redis.call('DEL', KEYS[1])
            return 1
            """)

    /// KEYS: schedule, failed. ARGV: now ms, key prefix, ids… (none = every failed job). Returns the ids re-queued.
    static let retryFailed = RedisScript(
        name: "retry-failed",
        source: """
            local ids = {}
            for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
            if #ids == 0 then ids = redis.call('ZRANGE', KEYS[2], 0, -1) end
            local done = {}
            for _, id in ipairs(ids) do
              if redis.call('ZREM', KEYS[2], id) == 1 then
                local job = ARGV[2] .. 'job:' .. id
                redis.call('HDEL', job, 'state', 'error', 'lastError', 'result', 'finishedAt')
                redis.call('HSET', job, 'spent', 0, 'limitWaitMs', 0)
                redis.call('ZADD', KEYS[1], ARGV[1], id)
                done[#done + 1] = id
              end
            end
            return done
            """)

    /// KEYS: schedule, completed, failed. ARGV: now ms.
    /// Returns {waiting, delayed, active, expired leases, completed, failed, oldest waiting run-at ms or -1}.
    static let stats = RedisScript(
        name: "stats",
        source: """
            local now = tonumber(ARGV[1])
            local waiting, delayed, active, expired, oldest = 0, 0, 0, 0, -1
            local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
            for i = 1, #all, 2 do
              local score = tonumber(all[i + 1])
              if string.find(all[i], '|', 1, true) then
                active = active + 1
                if score <= now then expired = expired + 1 end
              elseif score <= now then
                waiting = waiting + 1
                if oldest < 0 or score < oldest then oldest = score end
              else
                delayed = delayed + 1
              end
            end
            return {waiting, delayed, active, expired, redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]), oldest}
            """)

    /// KEYS: schedule, job. ARGV: id, now ms. The state is the stored one once finished, else read
    /// from the schedule the way `stats` counts it (leased: active; due: waiting; later: delayed).
    /// Returns {state, data, spent, error, lastError, result, finishedAt, schedule score or '', lease token or ''}.
    static let inspect = RedisScript(
        name: "inspect",
        source: """
            local f = redis.call('HMGET', KEYS[2], 'state', 'data', 'spent', 'error', 'lastError', 'result', 'finishedAt')
            if not f[2] then return {} end
            local score, token = redis.call('ZSCORE', KEYS[1], ARGV[1]), ''
            if not score then
              local cursor = '0'
              repeat
                local page = redis.call('ZSCAN', KEYS[1], cursor, 'MATCH', ARGV[1] .. '|*', 'COUNT', 500)
                cursor = page[1]
                if #page[2] > 0 then
                  token = string.sub(page[2][1], #ARGV[1] + 2)
                  score = page[2][2]
                  cursor = '0'
                end
              until cursor == '0'
            end
            local state = f[1]
            if not state then
              if token ~= '' then state = 'active'
              elseif score and tonumber(score) > tonumber(ARGV[2]) then state = 'delayed'
              else state = 'waiting' end
            end
            return {state, f[2], f[3] or '0', f[4] or '', f[5] or '', f[6] or '', f[7] or '', score or '', token}
            """)

    /// KEYS: schedule. ARGV: key prefix, limit, now ms. The jobs on the schedule (waiting, delayed,
    /// active), soonest first: {id, state, due or lease deadline ms, spent, lastError, data, …}.
    static let listScheduled = RedisScript(
        name: "listScheduled",
        source: """
            local out = {}
            local entries = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
            for i = 1, #entries, 2 do
              local member, score = entries[i], entries[i + 1]
              local bar = string.find(member, '|', 1, true)
              local id = bar and string.sub(member, 1, bar - 1) or member
              local state = bar and 'active' or (tonumber(score) > tonumber(ARGV[3]) and 'delayed' or 'waiting')
              local f = redis.call('HMGET', ARGV[1] .. 'job:' .. id, 'spent', 'lastError', 'data')
              out[#out + 1] = id
              out[#out + 1] = state
              out[#out + 1] = score
              out[#out + 1] = f[1] or '0'
              out[#out + 1] = f[2] or ''
              out[#out + 1] = f[3] or ''
            end
            return out
            """)

    /// KEYS: failed. ARGV: key prefix, limit. Returns {id, error, spent, finishedAt, data, …} newest first.
    static let listFailed = RedisScript(
        name: "listFailed",
        source: """
            local out = {}
            for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
              local f = redis.call('HMGET', ARGV[1] .. 'job:' .. id, 'error', 'spent', 'finishedAt', 'data')
              out[#out + 1] = id
              out[#out + 1] = f[1] or ''
              out[#out + 1] = f[2] or '0'
              out[#out + 1] = f[3] or ''
              out[#out + 1] = f[4] or ''
            end
            return out
            """)

    /// KEYS: completed. ARGV: key prefix, keep count, age cutoff ms. Returns the number of jobs removed.
    static let trimCompleted = RedisScript(
        name: "trimCompleted",
        source: trimHelper + """

            return trim(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
            """)
}
