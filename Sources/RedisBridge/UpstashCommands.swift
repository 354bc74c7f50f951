/// The commands redis-rest passes to redis-server: those Upstash documents as supported over REST
/// (https://upstash.com/docs/redis/overall/rediscompatibility), minus the ones that would change the
/// shared connection. Anything else — CLIENT, CONFIG, DEBUG, MONITOR, SHUTDOWN, SELECT, replication,
/// modules, ACL, persistence — is refused before it reaches the server, because every request shares
/// one connection and one server: a command that changes how that connection replies (CLIENT REPLY
/// OFF) or stalls it (CLIENT PAUSE) would break every other client.
enum UpstashCommands {
    enum Verdict: Equatable {
        case allowed
        /// Allowed, on a connection of its own (it may block).
        case blocking
        case refused(String)
    }

    static func verdict(for command: [[UInt8]], inBatch: Bool) -> Verdict {
        let name = String(decoding: command[0].prefix(64), as: UTF8.self).uppercased()
        if blocking.contains(name) {
            return inBatch ? .refused("ERR Command is not allowed in a pipeline or transaction: \(name)") : .blocking
        }
        guard allowed.contains(name) else { return .refused("ERR Command is not allowed: \(name)") }
        if let subcommands = allowedSubcommands[name] {
            let sub = command.count > 1 ? String(decoding: command[1].prefix(64), as: UTF8.self).uppercased() : ""
            guard subcommands.contains(sub) else { return .refused("ERR Command is not allowed: \(name) \(sub)") }
            // SCRIPT KILL and FUNCTION KILL must reach the server while the shared connection waits on
            // the runaway script: a connection of their own, as Upstash serves them.
            if sub == "KILL" { return inBatch ? .refused("ERR Command is not allowed in a pipeline or transaction: \(name) KILL") : .blocking }
        }
        return .allowed
    }

    /// Whether a command may change data (anything not known to only read does, scripts included):
    /// such a command moves the sync token on.
    static func mayWrite(_ command: [[UInt8]]) -> Bool {
        !readOnly.contains(String(decoding: command[0].prefix(64), as: UTF8.self).uppercased())
    }

    /// Commands that only read.
    static let readOnly: Set<String> = [
        "GET", "GETRANGE", "LCS", "MGET", "STRLEN", "SUBSTR", "BITCOUNT", "BITFIELD_RO", "BITPOS", "GETBIT", "HEXISTS", "HGET", "HGETALL",
        "HKEYS", "HLEN", "HMGET", "HSCAN", "HSTRLEN", "HRANDFIELD", "HVALS", "HEXPIRETIME", "HPEXPIRETIME", "HPTTL", "HTTL", "LINDEX", "LLEN",
        "LPOS", "LRANGE", "SCARD", "SDIFF", "SINTER", "SINTERCARD", "SISMEMBER", "SMEMBERS", "SMISMEMBER", "SRANDMEMBER", "SSCAN", "SUNION",
        "ZCARD", "ZCOUNT", "ZDIFF", "ZINTER", "ZINTERCARD", "ZLEXCOUNT", "ZMSCORE", "ZRANDMEMBER", "ZRANGE", "ZRANGEBYLEX", "ZRANGEBYSCORE",
        "ZRANK", "ZREVRANGE", "ZREVRANGEBYLEX", "ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN", "ZSCORE", "ZUNION", "GEODIST", "GEOHASH", "GEOPOS",
        "GEORADIUS_RO", "GEORADIUSBYMEMBER_RO", "GEOSEARCH", "PFCOUNT", "DBSIZE", "EXISTS", "EXPIRETIME", "KEYS", "PEXPIRETIME", "PTTL",
        "RANDOMKEY", "SCAN", "TTL", "TYPE", "TOUCH", "ECHO", "PING", "TIME", "EVAL_RO", "EVALSHA_RO", "FCALL_RO", "XLEN", "XRANGE",
        "XREVRANGE", "XPENDING", "XINFO", "XREAD", "JSON.GET", "JSON.MGET", "JSON.ARRINDEX", "JSON.ARRLEN", "JSON.OBJKEYS", "JSON.OBJLEN",
        "JSON.RESP", "JSON.STRLEN", "JSON.TYPE", "JSON.DEBUG",
    ]

    /// Commands that may block: each gets a connection of its own, and none may run in a batch.
    static let blocking: Set<String> = [
        "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "XREAD", "XREADGROUP",
    ]

    static let allowedSubcommands: [String: Set<String>] = [
        "SCRIPT": ["EXISTS", "LOAD", "FLUSH", "KILL"],
        "FUNCTION": ["LOAD", "LIST", "DELETE", "FLUSH", "STATS", "KILL"],
    ]

    static let allowed: Set<String> = strings.union(bitmaps).union(hashes).union(lists).union(sets)
        .union(sortedSets).union(geo).union(hyperLogLog).union(generic).union(scripting).union(streams)
        .union(server).union(json).union(blocking)

    private static let strings: Set<String> = [
        "APPEND", "DECR", "DECRBY", "GET", "GETDEL", "GETEX", "GETRANGE", "GETSET", "INCR", "INCRBY", "INCRBYFLOAT",
        "LCS", "MGET", "MSET", "MSETNX", "PSETEX", "SET", "SETEX", "SETNX", "SETRANGE", "STRLEN", "SUBSTR",
    ]
    private static let bitmaps: Set<String> = ["BITCOUNT", "BITFIELD", "BITFIELD_RO", "BITOP", "BITPOS", "GETBIT", "SETBIT"]
    private static let hashes: Set<String> = [
        "HDEL", "HEXISTS", "HGET", "HGETALL", "HINCRBY", "HINCRBYFLOAT", "HKEYS", "HLEN", "HMGET", "HMSET", "HSCAN",
        "HSET", "HSETNX", "HSTRLEN", "HRANDFIELD", "HVALS", "HEXPIRE", "HEXPIREAT", "HEXPIRETIME", "HPERSIST",
        "HPEXPIRE", "HPEXPIREAT", "HPEXPIRETIME", "HPTTL", "HTTL", "HGETDEL", "HGETEX", "HSETEX",
    ]
    private static let lists: Set<String> = [
        "LINDEX", "LINSERT", "LLEN", "LMOVE", "LMPOP", "LPOP", "LPOS", "LPUSH", "LPUSHX", "LRANGE", "LREM", "LSET",
        "LTRIM", "RPOP", "RPOPLPUSH", "RPUSH", "RPUSHX",
    ]
    private static let sets: Set<String> = [
        "SADD", "SCARD", "SDIFF", "SDIFFSTORE", "SINTER", "SINTERCARD", "SINTERSTORE", "SISMEMBER", "SMEMBERS",
        "SMISMEMBER", "SMOVE", "SPOP", "SRANDMEMBER", "SREM", "SSCAN", "SUNION", "SUNIONSTORE",
    ]
    private static let sortedSets: Set<String> = [
        "ZADD", "ZCARD", "ZCOUNT", "ZDIFF", "ZDIFFSTORE", "ZINCRBY", "ZINTER", "ZINTERCARD", "ZINTERSTORE", "ZLEXCOUNT",
        "ZMPOP", "ZMSCORE", "ZPOPMAX", "ZPOPMIN", "ZRANDMEMBER", "ZRANGE", "ZRANGESTORE", "ZRANGEBYLEX", "ZRANGEBYSCORE",
        "ZRANK", "ZREM", "ZREMRANGEBYLEX", "ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREVRANGE", "ZREVRANGEBYLEX",
        "ZREVRANGEBYSCORE", "ZREVRANK", "ZSCAN", "ZSCORE", "ZUNION", "ZUNIONSTORE",
    ]
    private static let geo: Set<String> = [
        "GEOADD", "GEODIST", "GEOHASH", "GEOPOS", "GEORADIUS", "GEORADIUS_RO", "GEORADIUSBYMEMBER",
        "GEORADIUSBYMEMBER_RO", "GEOSEARCH", "GEOSEARCHSTORE",
    ]
    private static let hyperLogLog: Set<String> = ["PFADD", "PFCOUNT", "PFMERGE"]
    private static let generic: Set<String> = [
        "COPY", "DEL", "EXISTS", "EXPIRE", "EXPIREAT", "EXPIRETIME", "KEYS", "PERSIST", "PEXPIRE", "PEXPIREAT",
        "PEXPIRETIME", "PTTL", "RANDOMKEY", "RENAME", "RENAMENX", "SCAN", "SORT", "SORT_RO", "TOUCH", "TTL", "TYPE",
        "UNLINK", "PUBLISH",
    ]
    private static let scripting: Set<String> = [
        "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT", "FCALL", "FCALL_RO", "FUNCTION",
    ]
    /// XDELEX and XACKDEL are Redis 8.2's; an older server answers them as unknown commands.
    private static let streams: Set<String> = [
        "XACK", "XACKDEL", "XADD", "XAUTOCLAIM", "XCLAIM", "XDEL", "XDELEX", "XGROUP", "XINFO", "XLEN", "XPENDING", "XRANGE",
        "XREVRANGE", "XTRIM",
    ]
    /// RedisJSON, which Upstash serves (https://upstash.com/docs/redis/sdks/ts/commands/json/set); a
    /// server without the module answers them as unknown commands.
    private static let json: Set<String> = [
        "JSON.ARRAPPEND", "JSON.ARRINDEX", "JSON.ARRINSERT", "JSON.ARRLEN", "JSON.ARRPOP", "JSON.ARRTRIM", "JSON.CLEAR", "JSON.DEBUG",
        "JSON.DEL", "JSON.FORGET", "JSON.GET", "JSON.MERGE", "JSON.MGET", "JSON.MSET", "JSON.NUMINCRBY", "JSON.NUMMULTBY", "JSON.OBJKEYS",
        "JSON.OBJLEN", "JSON.RESP", "JSON.SET", "JSON.STRAPPEND", "JSON.STRLEN", "JSON.TOGGLE", "JSON.TYPE",
    ]
    private static let server: Set<String> = ["DBSIZE", "FLUSHALL", "FLUSHDB", "INFO", "TIME", "ECHO", "PING"]
}
