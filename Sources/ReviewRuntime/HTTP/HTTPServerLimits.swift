import Foundation

/// What one stranger can take from an `HTTPServer`: every number bounds time or memory that an
/// unauthenticated peer could otherwise hold for as long as it liked.
public struct HTTPServerLimits: Sendable {
    /// A request body over this gets a 413 as soon as its size is known (header or bytes read).
    public var maxBodyBytes: Int
    /// Request bodies being read or handled, across all connections; past it new body bytes get a 503.
    public var maxInFlightBodyBytes: Int
    /// The part of that budget one peer may hold (`PeerAddress`): a stranger holding unfinished
    /// bodies takes its share, not everyone's.
    public var maxPeerInFlightBodyBytes: Int
    /// Open connections. At the cap the one idle longest is closed to make room (a busy one never is),
    /// so idle peers cannot lock out new requests.
    public var maxConnections: Int
    /// A connection with no request under way is closed after this long.
    public var idleTimeout: TimeInterval
    /// A request's head and body must arrive within this long of its first byte.
    public var readTimeout: TimeInterval

    public init(
        maxBodyBytes: Int = 25 * 1024 * 1024, maxInFlightBodyBytes: Int? = nil, maxPeerInFlightBodyBytes: Int? = nil,
        maxConnections: Int = HTTPServerLimits.defaultMaxConnections,
        idleTimeout: TimeInterval = 60, readTimeout: TimeInterval = 30
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxInFlightBodyBytes = maxInFlightBodyBytes ?? max(maxBodyBytes, min(4 * maxBodyBytes, 128 * 1024 * 1024))
        self.maxPeerInFlightBodyBytes = maxPeerInFlightBodyBytes ?? max(maxBodyBytes, self.maxInFlightBodyBytes / 4)
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
    }

    /// Half the file descriptors the process may open (the rest are for its own outbound calls and
    /// files), at least 8 and at most 4,096.
    public static var defaultMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 256 }
        let files = Int(clamping: min(limit.rlim_cur, 8192))  // RLIM_INFINITY is the largest value
        return min(4096, max(8, (files - 32) / 2))
    }
}
