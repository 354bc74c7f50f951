import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ReviewCore

/// Where redis-server listens: `redis://host:port` or `unix:///path/to/redis.sock`.
package enum RedisAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    package init(_ text: String) throws(ReviewError) {
        if text.hasPrefix("unix://") {
            self = .unix(path: String(text.dropFirst("unix://".count)))
        } else if let url = URL(string: text), url.scheme == "redis", let host = url.host {
            self = .tcp(host: host, port: url.port ?? 6379)
        } else {
            throw .badConfig("REDIS_URL must be redis://host:port or unix:///path, got '\(text)'")
        }
    }

    package var description: String {
        switch self {
        case .tcp(let host, let port): "redis://\(host):\(port)"
        case .unix(let path): "unix://\(path)"
        }
    }
}
