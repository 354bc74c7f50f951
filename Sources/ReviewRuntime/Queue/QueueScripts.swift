/// The job queue's state changes, one Lua script each, so every transition is atomic and costs one
/// round trip. Keys share the queue's `{hash tag}`; see docs/queue.md for the layout and the cost of each.
///
/// Jobs wait in one sorted set per installation (`g:<installation>`, score = run-at ms). `groups`
/// holds the installations that may be served (member = installation id, score = when: its head's
/// run-at, or the time it was last served) **and** the leases of running jobs (member
/// `id|token|installation`, score = lease deadline): one `ZPOPMIN` finds the installation whose turn
/// it is — round robin, as a served installation goes back with score "now", behind every other
/// due one — or an expired lease. `active` counts each installation's running jobs; an installation
/// at its cap, or paused by a rate limit (its count raised by `PAUSE`), is left off `groups` until a
/// job of it ends or `!resume:<installation>` falls due.
///
/// Every script answers one JSON object with named fields (`QueueReplies`), read by one decoder.
enum QueueScripts {
    /// Helpers every script may use: trimming finished jobs, and putting an installation back on `groups`.
    private static let helpers = """
        local PAUSE = 1000000
        -- After a pause an installation probes: its count is raised by PROBE, and it runs one job at
        -- a time until one of its jobs succeeds.
        local PROBE = 1000
        -- Whether an installation whose `active` count reads `raw` may start one more job.
        local function room(raw, cap)
          if raw >= PAUSE then return false end
          if raw >= PROBE then return raw - PROBE < 1 end
          return raw < cap
        end
        -- keep < 0: no count limit. slack: how far over `keep` the set may grow before a trim, so
        -- that a trim removes many jobs in a few commands instead of one job in four on every call.
        -- A waiting job's member on its installation's set: its id, a newline and its JSON when it
        -- was queued fresh (its claim reads nothing more), or the bare id when it was queued again
        -- after a failure or an expired lease (its attempts are in its hash).
        local function member_of(id, data) return id .. '\\n' .. data end
        local function split_member(member)
          local cut = string.find(member, '\\n', 1, true)
          if not cut then return member, nil end
          return string.sub(member, 1, cut - 1), string.sub(member, cut + 1)
        end
        -- Takes a job off its installation's set, in either form; answers whether it was there.
        local function unschedule(waiting, id, data)
          if data then return redis.call('ZREM', waiting, id, member_of(id, data)) > 0 end
          return redis.call('ZREM', waiting, id) > 0
        end
        -- Finished jobs removed: counted in `counts`, so the number of unfinished jobs stays
        -- enqueued − trimmed − completed − failed (`depth`).
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
          if #victims > 0 then redis.call('HINCRBY', prefix .. 'counts', 'trimmed', #victims) end
          return #victims
        end
        -- The installation back on `groups` at its head job's run-at (not before `at`), when it has a
        -- waiting job; LT keeps an earlier turn it already has.
        local function readmit(prefix, groups, gid, at)
          local head = redis.call('ZRANGE', prefix .. 'g:' .. gid, 0, 0, 'WITHSCORES')
          if #head == 0 then return false end
          redis.call('ZADD', groups, 'LT', math.max(tonumber(head[2]), at), gid)
          return true
        end
        -- One job of the installation ended (`succeeded` ends a probe): its count goes down, and it
        -- goes back on `groups` when that gave it room it did not have. Answers whether it went back.
        local function release(prefix, groups, active, gid, now, cap, succeeded)
          local raw = redis.call('HINCRBY', active, gid, -1)
          local had = room(raw + 1, cap)
          if succeeded and raw >= PROBE and raw < PAUSE then
            raw = redis.call('HINCRBY', active, gid, -PROBE)
            had = false
          end
          if had or not room(raw, cap) then return false end
          return readmit(prefix, groups, gid, now)
        end
        -- The installation a job's JSON names (its installationId), or nil.
        local function group_in(data)
          if not data then return nil end
          local ok, job = pcall(cjson.decode, data)
          if not ok or type(job) ~= 'table' or job['installationId'] == nil then return nil end
          return string.format('%d', job['installationId'])
        end
        -- The installation a stored job belongs to, or nil.
        local function group_of(prefix, id)
          local data = redis.call('HGET', prefix .. 'job:' .. id, 'data')
          return group_in(data), data
        end
        -- A job due at `at` on its installation's set, and the installation on `groups` unless it is
        -- at its cap or paused.
        local function schedule(prefix, groups, active, gid, id, at, cap)
          redis.call('ZADD', prefix .. 'g:' .. gid, at, id)
          if room(tonumber(redis.call('HGET', active, gid) or '0'), cap) then readmit(prefix, groups, gid, at) end
        end

        """

    /// KEYS: groups, job, pr pointer, completed, failed, the installation's set, the pull request's
    /// comment counts (hash: author → comment jobs, `*` → all).
    /// ARGV: id, job JSON, now ms, delivery id, key prefix, pr pointer TTL s, '1' for an automatic
    /// review (it moves the pointer, supersedes the pull request's waiting review, and is refused
    /// while the pointer says the pull request is paused) or '0' for a comment's job, installation,
    /// the comment's author, comment jobs per author, per pull request (from people who may not
    /// command the reviewer), the window they count in (s), '1' when the author may command,
    /// completed jobs to keep, the completed age cutoff ms.
    /// Answers {status: queued|duplicate|paused|capped, reason, superseded}.
    static let enqueue = RedisScript(
        name: "enqueue",
        source: helpers + """
            local PAUSED = '!paused'
            local groups, job, pointer, completed, failed, waiting = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
            local id, data, now, delivery, prefix, gid = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[8]
            local fresh = redis.call('HSETNX', job, 'data', data) == 1
            if not fresh then
              local fields = redis.call('HMGET', job, 'state', 'data')
              local state = fields[1]
              local ok, previous = pcall(cjson.decode, fields[2] or '{}')
              if ok and type(previous) == 'table' and previous['deliveryId'] == delivery then
                return cjson.encode({status = 'duplicate', reason = 'delivery ' .. delivery .. ' was already received'})
              end
              if not state or state == 'completed' then
                return cjson.encode({status = 'duplicate',
                  reason = 'a job for this pull request head already exists (' .. (state or 'waiting or active') .. ')'})
              end
              redis.call('HDEL', job, 'state', 'result', 'error', 'lastError', 'finishedAt')
              redis.call('HSET', job, 'data', data, 'spent', 0, 'limitWaitMs', 0)
              redis.call('ZREM', completed, id)
              redis.call('ZREM', failed, id)
            end
            if ARGV[7] ~= '1' and ARGV[9] ~= '' then
              -- A comment's job: within the pull request's budget for its author and for everyone,
              -- so a stranger's flood costs a few jobs, not one per comment.
              -- People who may command the reviewer are held to their own budget only; the pull
              -- request's shared one is for the others, so strangers cannot spend a maintainer's.
              local counts = KEYS[7]
              local mine = redis.call('HINCRBY', counts, ARGV[9], 1)
              if mine == 1 and redis.call('TTL', counts) == -1 then redis.call('EXPIRE', counts, ARGV[12]) end
              local reason
              if mine > tonumber(ARGV[10]) then
                reason = ARGV[9] .. "'s " .. ARGV[10]
              elseif ARGV[13] ~= '1' and redis.call('HINCRBY', counts, '*', 1) > tonumber(ARGV[11]) then
                reason = ARGV[11] .. ' from people who may not command the reviewer'
              end
              if reason then
                redis.call('DEL', job)
                return cjson.encode({status = 'capped', reason = 'this pull request already had ' .. reason .. ' comment jobs today'})
              end
            end
            if fresh then
              -- A new job: counted, and on one enqueue in 256 (every one when fewer than 256 are
              -- kept) the completed jobs are trimmed: back to the count to keep once a quarter over
              -- it, and by age.
              local enqueued, keep = redis.call('HINCRBY', prefix .. 'counts', 'enqueued', 1), tonumber(ARGV[14])
              if enqueued % 256 == 0 or keep < 256 then
                trim(completed, prefix, keep, nil, math.max(1, math.floor(keep / 4)))
                trim(completed, prefix, -1, tonumber(ARGV[15]))
              end
            end
            redis.call('ZADD', waiting, now, member_of(id, data))
            -- No read of the installation's count: a capped or paused installation put back here is
            -- dropped by the claim that finds it so (one wasted pop per such enqueue).
            redis.call('ZADD', groups, 'LT', now, gid)
            if ARGV[7] ~= '1' then return cjson.encode({status = 'queued'}) end
            local previous = redis.call('SET', pointer, id, 'GET', 'EX', ARGV[6])
            if previous == PAUSED then
              -- Paused: the pointer stays paused and the job ends cancelled, with why.
              redis.call('SET', pointer, PAUSED, 'KEEPTTL')
              unschedule(waiting, id, data)
              local reason = 'automatic reviews are paused on this pull request'
              redis.call('HSET', job, 'state', 'cancelled', 'result', reason, 'finishedAt', now)
              redis.call('ZADD', completed, now, id)
              return cjson.encode({status = 'paused', reason = reason})
            end
            if previous and previous ~= id then
              -- The previous job, unless it has finished (its state says so), leaves its set if it waits there.
              local old = redis.call('HMGET', prefix .. 'job:' .. previous, 'state', 'data')
              if not old[1] and unschedule(waiting, previous, old[2] or nil) then
                redis.call('HSET', prefix .. 'job:' .. previous, 'state', 'superseded', 'result', 'superseded by ' .. id, 'finishedAt', now)
                redis.call('ZADD', completed, now, previous)
                return cjson.encode({status = 'queued', superseded = previous})
              end
            end
            return cjson.encode({status = 'queued'})
            """)

    /// The claim, as a function `claim` and `complete` share. `swap`: an installation one of whose
    /// jobs has just completed and whose count still includes it; when that installation's turn
    /// comes now, its next job takes the ended job's place and the count does not move (one read
    /// instead of a decrement and an increment). Answers the reply and whether `swap` was settled.
    private static let claimNext = """
        local function claim_next(groups, failed, active, legacy, now, lease, token, max, prefix, failed_cutoff, cap, swap)
          local settled = false
          for _ = 1, 1000 do
            local head = redis.call('ZPOPMIN', groups)
            if #head == 0 then
              -- Jobs queued by a version before installations: moved over, a thousand at a time.
              local old = redis.call('ZRANGE', legacy, 0, 999, 'WITHSCORES')
              if #old == 0 then return {status = 'empty'}, settled end
              for i = 1, #old, 2 do
                local id = string.match(old[i], '^[^|]+')
                local gid = group_of(prefix, id)
                -- A waiting job keeps its run-at; one a worker held runs again now.
                local at = string.find(old[i], '|', 1, true) and now or tonumber(old[i + 1])
                if gid then schedule(prefix, groups, active, gid, id, at, cap) end
                redis.call('ZREM', legacy, old[i])
              end
              redis.call('HINCRBY', prefix .. 'counts', 'enqueued', #old / 2)
            else
              local member, score = head[1], tonumber(head[2])
              if score > now then
                redis.call('ZADD', groups, head[2], member)
                return {status = 'none', next = score, kind = string.find(member, '|', 1, true) and 'lease' or 'job'}, settled
              end
              local id, rest = string.match(member, '^([^|]+)|(.+)$')
              if id then
                -- An expired lease (id|token|installation): the attempt is spent; run again or fail.
                local gid = string.match(rest, '|(.+)$')
                local job = prefix .. 'job:' .. id
                local spent = redis.call('HINCRBY', job, 'spent', 1)
                local reason = 'lease expired ' .. spent .. ' time(s): the worker stopped or overran its lease'
                if spent >= max then
                  redis.call('HSET', job, 'state', 'failed', 'error', reason, 'finishedAt', now)
                  redis.call('ZADD', failed, now, id)
                  trim(failed, prefix, -1, failed_cutoff)
                  release(prefix, groups, active, gid, now, cap, false)
                else
                  redis.call('HSET', job, 'lastError', reason)
                  redis.call('ZADD', prefix .. 'g:' .. gid, now, id)
                  if room(redis.call('HINCRBY', active, gid, -1), cap) then readmit(prefix, groups, gid, now) end
                end
              elseif string.sub(member, 1, 8) == '!resume:' then
                -- A paused installation's pause is over: it probes (one job at a time until one
                -- succeeds), so a limit that lasts longer than GitHub said meets one request, not
                -- the installation's cap of them.
                local gid = string.sub(member, 9)
                redis.call('HDEL', prefix .. 'paused', gid)
                local raw = redis.call('HINCRBY', active, gid, -PAUSE)
                if cap > 1 and raw < PROBE then raw = redis.call('HINCRBY', active, gid, PROBE) end
                if room(raw, cap) then readmit(prefix, groups, gid, now) end
              else
                local gid, running = member, nil
                if gid == swap then
                  settled, swap = true, nil
                  local raw = tonumber(redis.call('HGET', active, gid) or '0')
                  -- The job that ended succeeded: a probe is over.
                  if raw >= PROBE and raw < PAUSE then raw = redis.call('HINCRBY', active, gid, -PROBE) end
                  if raw >= PAUSE then
                    -- Paused meanwhile: the ended job's place is given back, and the installation waits.
                    redis.call('HINCRBY', active, gid, -1)
                  else
                    running = raw
                  end
                else
                  running = redis.call('HINCRBY', active, gid, 1)
                  -- At its cap or paused: off `groups` until a job of it ends or the pause does.
                  if not room(running - 1, cap) then
                    redis.call('HINCRBY', active, gid, -1)
                    running = nil
                  end
                end
                if running then
                  local waiting = prefix .. 'g:' .. gid
                  local jobs = redis.call('ZPOPMIN', waiting, 2)
                  if #jobs == 0 then
                    redis.call('HINCRBY', active, gid, -1)
                  elseif tonumber(jobs[2]) > now then
                    -- Its next job is not due yet: its turn comes then.
                    redis.call('ZADD', waiting, jobs[2], jobs[1])
                    if jobs[3] then redis.call('ZADD', waiting, jobs[4], jobs[3]) end
                    redis.call('HINCRBY', active, gid, -1)
                    redis.call('ZADD', groups, jobs[2], gid)
                  else
                    local id, data = split_member(jobs[1])
                    if jobs[3] then
                      redis.call('ZADD', waiting, jobs[4], jobs[3])
                      -- Round robin: back behind every installation already due.
                      if room(running, cap) then redis.call('ZADD', groups, math.max(now, tonumber(jobs[4])), gid) end
                    end
                    -- A fresh job carries its JSON (first attempt); one queued again is read from its hash.
                    local fields = data and {data, 0} or redis.call('HMGET', prefix .. 'job:' .. id, 'data', 'spent')
                    if fields[1] then
                      local deadline = now + lease
                      redis.call('ZADD', groups, deadline, id .. '|' .. token .. '|' .. gid)
                      return {status = 'claimed', id = id, data = fields[1], attempt = (tonumber(fields[2]) or 0) + 1,
                        deadline = deadline, installation = gid}, settled
                    end
                    redis.call('HINCRBY', active, gid, -1)
                  end
                end
              end
            end
          end
          return {status = 'none', next = now, kind = 'job'}, settled
        end

        """

    /// KEYS: groups, failed, active, the layout before installations (`schedule`).
    /// ARGV: now ms, lease ms, token, max attempts, key prefix, failed cutoff ms, per-installation cap.
    /// Answers {status: empty}, {status: none, next, kind: job|lease} when nothing is due yet, or
    /// {status: claimed, id, data, attempt, deadline, installation}.
    static let claim = RedisScript(
        name: "claim",
        source: helpers + claimNext + """
            local reply = claim_next(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]),
              ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), nil)
            return cjson.encode(reply)
            """)

    /// KEYS: groups. ARGV: member (id|token|installation), new deadline ms. Answers 1 when the caller still holds the lease.
    static let heartbeat = RedisScript(
        name: "heartbeat",
        source: """
            if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
            redis.call('ZADD', KEYS[1], 'XX', ARGV[2], ARGV[1])
            return 1
            """)

    /// KEYS: groups, job, completed, active, failed, the layout before installations.
    /// ARGV: member, id, now ms, result JSON, key prefix, installation, per-installation cap, then — to claim the next job in the same step — lease ms, token, max
    /// attempts, failed cutoff ms (none: no claim).
    /// Answers {held} (false: the caller no longer held the lease, and nothing changed for that
    /// job) and, when asked, {next} as `claim` answers.
    static let complete = RedisScript(
        name: "complete",
        source: helpers + claimNext + """
            local groups, active, now, prefix, gid, cap = KEYS[1], KEYS[4], tonumber(ARGV[3]), ARGV[5], ARGV[6], tonumber(ARGV[7])
            local held = redis.call('ZREM', groups, ARGV[1]) == 1
            if held then
              -- Completed jobs are trimmed by enqueue, on one new job in 256.
              redis.call('HSET', KEYS[2], 'state', 'completed', 'result', ARGV[4], 'finishedAt', ARGV[3])
              redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
            end
            if not ARGV[8] then
              if held then release(prefix, groups, active, gid, now, cap, true) end
              return cjson.encode({held = held})
            end
            local function next_job(swap)
              return claim_next(groups, KEYS[5], active, KEYS[6], now, tonumber(ARGV[8]), ARGV[9], tonumber(ARGV[10]), prefix,
                tonumber(ARGV[11]), cap, swap)
            end
            local reply, settled = next_job(held and gid or nil)
            if held and not settled and release(prefix, groups, active, gid, now, cap, true) and reply.status ~= 'claimed' then
              -- The ended job gave its installation room after the claim looked: look again.
              reply = next_job(nil)
            end
            return cjson.encode({held = held, next = reply})
            """)

    /// KEYS: groups, job, failed, active. ARGV: member, id, now ms, retryable 0/1, retry delay ms,
    /// error, max attempts, failed cutoff ms, key prefix, '1' for a rate limit, longest total wait
    /// for rate limits ms, installation, per-installation cap. A rate limit spends no attempt: it
    /// adds its delay to the job's `limitWaitMs` and fails the job only once that total would pass
    /// the longest wait.
    /// Answers {status: stale}, {status: retrying, spent, at} or {status: failed, spent}.
    static let fail = RedisScript(
        name: "fail",
        source: helpers + """
            if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return cjson.encode({status = 'stale'}) end
            local now, prefix, gid, cap = tonumber(ARGV[3]), ARGV[9], ARGV[12], tonumber(ARGV[13])
            local running = redis.call('HINCRBY', KEYS[4], gid, -1)
            local spent, message = 0, ARGV[6]
            local again = false
            if ARGV[10] == '1' then
              spent = tonumber(redis.call('HGET', KEYS[2], 'spent') or '0')
              again = redis.call('HINCRBY', KEYS[2], 'limitWaitMs', tonumber(ARGV[5])) <= tonumber(ARGV[11])
              if not again then message = 'rate limited for more than ' .. math.floor(tonumber(ARGV[11]) / 1000) .. ' s in all: ' .. message end
            else
              spent = redis.call('HINCRBY', KEYS[2], 'spent', 1)
              again = ARGV[4] == '1' and spent < tonumber(ARGV[7])
            end
            if again then
              local at = now + tonumber(ARGV[5])
              redis.call('HSET', KEYS[2], 'lastError', message)
              redis.call('ZADD', prefix .. 'g:' .. gid, at, ARGV[2])
              if room(running, cap) then readmit(prefix, KEYS[1], gid, now) end
              return cjson.encode({status = 'retrying', spent = spent, at = at})
            end
            redis.call('HSET', KEYS[2], 'state', 'failed', 'error', message, 'finishedAt', ARGV[3])
            redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
            trim(KEYS[3], prefix, -1, tonumber(ARGV[8]))
            if room(running, cap) then readmit(prefix, KEYS[1], gid, now) end
            return cjson.encode({status = 'failed', spent = spent})
            """)

    /// KEYS: groups, active, paused, limits. ARGV: installation, now ms, asked wait ms, longest pause ms.
    /// Stops claims of one installation's jobs (GitHub said it is rate limited): its count is raised
    /// by `PAUSE` once, and `!resume:<installation>` on `groups` ends the pause. A limit met again
    /// soon after a pause ended quadruples the pause (GitHub: "wait for an exponentially increasing
    /// amount of time between retries"), up to the longest; `limits` keeps the last pause's end and
    /// length for that. A report during a pause only moves its end later. Answers {until}.
    static let pauseInstallation = RedisScript(
        name: "pauseInstallation",
        source: helpers + """
            local gid, now, asked, longest = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            local current = tonumber(redis.call('HGET', KEYS[3], gid) or '0')
            local length = asked
            if current <= now then
              local last = redis.call('HGET', KEYS[4], gid)
              if last then
                local lastEnd, lastLength = string.match(last, '^(%d+):(%d+)$')
                if lastEnd and now - tonumber(lastEnd) <= tonumber(lastLength) then length = math.max(asked, tonumber(lastLength) * 4) end
              end
              length = math.min(length, longest)
              if current == 0 then redis.call('HINCRBY', KEYS[2], gid, PAUSE) end
            end
            local ends = math.max(current, now + length)
            if ends > current then
              redis.call('HSET', KEYS[3], gid, ends)
              redis.call('HSET', KEYS[4], gid, string.format('%d:%d', ends, ends - now))
              redis.call('ZADD', KEYS[1], ends, '!resume:' .. gid)
            end
            return cjson.encode({['until'] = ends})
            """)

    /// KEYS: pr pointer, completed. ARGV: now ms, reason, key prefix, pause TTL s or ''.
    /// Cancels the pull request's waiting review. With a TTL the pointer is left paused (`pause`);
    /// without one it is cleared (the PR closed), unless the PR is paused. Answers {ids} cancelled.
    static let cancel = RedisScript(
        name: "cancel",
        source: helpers + """
            local id
            if ARGV[4] ~= '' then
              id = redis.call('SET', KEYS[1], '!paused', 'GET', 'EX', ARGV[4])
            else
              id = redis.call('GET', KEYS[1])
              if id and id ~= '!paused' then redis.call('DEL', KEYS[1]) end
            end
            if not id or id == '!paused' then return cjson.encode({ids = {}}) end
            local gid, data = group_of(ARGV[3], id)
            if not gid or not unschedule(ARGV[3] .. 'g:' .. gid, id, data) then return cjson.encode({ids = {}}) end
            redis.call('HSET', ARGV[3] .. 'job:' .. id, 'state', 'cancelled', 'result', ARGV[2], 'finishedAt', ARGV[1])
            redis.call('ZADD', KEYS[2], ARGV[1], id)
            return cjson.encode({ids = {id}})
            """)

    /// KEYS: pr pointer. Clears a pause; answers 1 when the pull request was paused.
    static let resume = RedisScript(
        name: "resume",
        source: """
            if redis.call('GET', KEYS[1]) ~= '!paused' then return 0 end
            redis.call('DEL', KEYS[1])
            return 1
            """)

    /// KEYS: groups, failed, active. ARGV: now ms, key prefix, per-installation cap, ids… (none =
    /// every failed job). Answers {ids} re-queued.
    static let retryFailed = RedisScript(
        name: "retry-failed",
        source: helpers + """
            local ids = {}
            for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
            if #ids == 0 then ids = redis.call('ZRANGE', KEYS[2], 0, -1) end
            local done = {}
            for _, id in ipairs(ids) do
              local gid = group_of(ARGV[2], id)
              if gid and redis.call('ZREM', KEYS[2], id) == 1 then
                local job = ARGV[2] .. 'job:' .. id
                redis.call('HDEL', job, 'state', 'error', 'lastError', 'result', 'finishedAt')
                redis.call('HSET', job, 'spent', 0, 'limitWaitMs', 0)
                schedule(ARGV[2], KEYS[1], KEYS[3], gid, id, tonumber(ARGV[1]), tonumber(ARGV[3]))
                done[#done + 1] = id
              end
            end
            return cjson.encode({ids = done})
            """)

    /// The installations that may have waiting jobs: those on `groups`, and every one `active` has
    /// counted (at its cap or paused, it is off `groups`). Shared by `stats` and `listScheduled`.
    private static let installations = """
        local function installations(groups, active)
          local seen, list = {}, {}
          local leases = {}
          local members = redis.call('ZRANGE', groups, 0, -1, 'WITHSCORES')
          for i = 1, #members, 2 do
            local member = members[i]
            if string.find(member, '|', 1, true) then
              leases[#leases + 1] = {member, tonumber(members[i + 1])}
            elseif string.sub(member, 1, 1) ~= '!' and not seen[member] then
              seen[member] = true
              list[#list + 1] = member
            end
          end
          for _, gid in ipairs(redis.call('HKEYS', active)) do
            if not seen[gid] then
              seen[gid] = true
              list[#list + 1] = gid
            end
          end
          return list, leases
        end

        """

    /// What `stats` and `depth` share: the number of unfinished jobs from the counts the scripts
    /// keep (enqueued − trimmed − completed − failed), and a job's enqueue time from its JSON.
    private static let counting = """
        -- Jobs not finished yet (waiting, delayed or running), in O(1). A queue whose jobs predate
        -- the counts gets its baseline once, from a count of its sets and leases.
        local function unfinished(prefix, groups, active, completed, failed)
          local counts = prefix .. 'counts'
          local c = redis.call('HMGET', counts, 'enqueued', 'trimmed', 'baseline')
          local recorded = tonumber(c[1] or '0') - tonumber(c[2] or '0') - redis.call('ZCARD', completed) - redis.call('ZCARD', failed)
          local base = tonumber(c[3] or '')
          if not base then
            local list, leases = installations(groups, active)
            local actual = #leases
            for _, gid in ipairs(list) do actual = actual + redis.call('ZCARD', prefix .. 'g:' .. gid) end
            base = actual - recorded
            redis.call('HSET', counts, 'baseline', base)
          end
          return recorded + base
        end
        -- `enqueuedAt` of a job's JSON (ISO 8601, UTC) in ms, or nil.
        local function enqueued_ms(data)
          local y, mo, d, h, mi, sec = string.match(data or '', '"enqueuedAt":"(%d%d%d%d)-(%d%d)-(%d%d)T(%d%d):(%d%d):(%d%d)')
          if not y then return nil end
          y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
          if mo <= 2 then y = y - 1 end
          local era = math.floor(y / 400)
          local yoe = y - era * 400
          local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
          local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
          return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(sec) * 1000
        end

        """

    /// KEYS: groups, completed, failed, active, paused. ARGV: now ms, key prefix.
    /// Answers {waiting, delayed, active, expiredLeases, completed, failed, unfinished,
    /// oldestEnqueuedAt (ms, -1 when none waits: the earliest enqueue among the head jobs of the
    /// installations' sets, delayed ones included), pausedInstallations, modelPausedUntil (ms, 0
    /// when the model's circuit is closed)}. Work grows with installations and running jobs, not
    /// with waiting jobs; `depth` is the O(1) part.
    static let stats = RedisScript(
        name: "stats",
        source: helpers + installations + counting + """
            local now, prefix = tonumber(ARGV[1]), ARGV[2]
            local list, leases = installations(KEYS[1], KEYS[4])
            local waiting, delayed, expired, oldest = 0, 0, 0, -1
            for _, lease in ipairs(leases) do
              if lease[2] <= now then expired = expired + 1 end
            end
            for _, gid in ipairs(list) do
              local set = prefix .. 'g:' .. gid
              waiting = waiting + redis.call('ZCOUNT', set, '-inf', now)
              delayed = delayed + redis.call('ZCOUNT', set, '(' .. now, '+inf')
              local head = redis.call('ZRANGE', set, 0, 0)
              if #head > 0 then
                local id, data = split_member(head[1])
                local at = enqueued_ms(data or redis.call('HGET', prefix .. 'job:' .. id, 'data'))
                if at and (oldest < 0 or at < oldest) then oldest = at end
              end
            end
            return cjson.encode({waiting = waiting, delayed = delayed, active = #leases, expiredLeases = expired,
              completed = redis.call('ZCARD', KEYS[2]), failed = redis.call('ZCARD', KEYS[3]),
              unfinished = unfinished(prefix, KEYS[1], KEYS[4], KEYS[2], KEYS[3]), oldestEnqueuedAt = oldest,
              pausedInstallations = redis.call('HLEN', KEYS[5]), modelPausedUntil = tonumber(redis.call('GET', prefix .. 'model:until') or '0')})
            """)

    /// KEYS: groups, completed, failed, active, paused. ARGV: key prefix. The queue's depth in O(1),
    /// what an autoscaler polls: {unfinished, completed, failed, pausedInstallations}.
    static let depth = RedisScript(
        name: "depth",
        source: installations + counting + """
            return cjson.encode({unfinished = unfinished(ARGV[1], KEYS[1], KEYS[4], KEYS[2], KEYS[3]),
              completed = redis.call('ZCARD', KEYS[2]), failed = redis.call('ZCARD', KEYS[3]), pausedInstallations = redis.call('HLEN', KEYS[5])})
            """)

    /// KEYS: groups, job. ARGV: id, now ms, key prefix. The state is the stored one once finished,
    /// else read from the installation's set and the leases (leased: active; due: waiting; later: delayed).
    /// Answers {} for no such job, else {state, data, spent, error, lastError, result, finishedAt, scheduledAt}.
    static let inspect = RedisScript(
        name: "inspect",
        source: helpers + """
            local f = redis.call('HMGET', KEYS[2], 'state', 'data', 'spent', 'error', 'lastError', 'result', 'finishedAt')
            if not f[2] then return cjson.encode({}) end
            local score, leased = nil, false
            local gid = group_in(f[2])
            if gid then
              local scores = redis.call('ZMSCORE', ARGV[3] .. 'g:' .. gid, ARGV[1], member_of(ARGV[1], f[2]))
              score = scores[1] or scores[2]
            end
            if not score then
              local cursor = '0'
              repeat
                local page = redis.call('ZSCAN', KEYS[1], cursor, 'MATCH', ARGV[1] .. '|*', 'COUNT', 500)
                cursor = page[1]
                if #page[2] > 0 then
                  leased = true
                  score = page[2][2]
                  cursor = '0'
                end
              until cursor == '0'
            end
            local state = f[1]
            if not state then
              if leased then state = 'active'
              elseif score and tonumber(score) > tonumber(ARGV[2]) then state = 'delayed'
              else state = 'waiting' end
            end
            -- A missing field is false in Lua: `or nil` leaves it out of the answer.
            return cjson.encode({state = state, data = f[2], spent = tonumber(f[3] or '0'), error = f[4] or nil, lastError = f[5] or nil,
              result = f[6] or nil, finishedAt = f[7] and tonumber(f[7]) or nil, scheduledAt = score and tonumber(score) or nil})
            """)

    /// KEYS: groups, active. ARGV: key prefix, limit, now ms. The jobs waiting, delayed and running,
    /// soonest first: {jobs: [{id, state, at, spent, lastError, data}]}.
    static let listScheduled = RedisScript(
        name: "listScheduled",
        source: helpers + installations + """
            local prefix, limit, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
            local list, leases = installations(KEYS[1], KEYS[2])
            local entries = {}
            for _, lease in ipairs(leases) do
              entries[#entries + 1] = {string.match(lease[1], '^[^|]+'), 'active', lease[2]}
            end
            for _, gid in ipairs(list) do
              local page = redis.call('ZRANGE', prefix .. 'g:' .. gid, 0, limit - 1, 'WITHSCORES')
              for i = 1, #page, 2 do
                local at = tonumber(page[i + 1])
                entries[#entries + 1] = {(split_member(page[i])), at > now and 'delayed' or 'waiting', at}
              end
            end
            table.sort(entries, function(a, b) return a[3] < b[3] end)
            local jobs = {}
            for i = 1, math.min(limit, #entries) do
              local e = entries[i]
              local f = redis.call('HMGET', prefix .. 'job:' .. e[1], 'spent', 'lastError', 'data')
              jobs[#jobs + 1] = {id = e[1], state = e[2], at = e[3], spent = tonumber(f[1] or '0'), lastError = f[2] or nil, data = f[3] or nil}
            end
            return cjson.encode({jobs = jobs})
            """)

    /// KEYS: failed. ARGV: key prefix, limit. The newest failed jobs: {jobs: [{id, error, spent, finishedAt, data}]}.
    static let listFailed = RedisScript(
        name: "listFailed",
        source: """
            local jobs = {}
            for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
              local f = redis.call('HMGET', ARGV[1] .. 'job:' .. id, 'error', 'spent', 'finishedAt', 'data')
              jobs[#jobs + 1] = {id = id, error = f[1] or nil, spent = tonumber(f[2] or '0'), finishedAt = f[3] and tonumber(f[3]) or nil, data = f[4] or nil}
            end
            return cjson.encode({jobs = jobs})
            """)

    /// KEYS: completed. ARGV: key prefix, keep count, age cutoff ms. Answers the number of jobs removed.
    static let trimCompleted = RedisScript(
        name: "trimCompleted",
        source: helpers + """
            return trim(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
            """)
}
