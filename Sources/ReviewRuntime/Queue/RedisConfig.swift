import Foundation
import ReviewCore

/// Where the queue lives: an Upstash (or `redis-rest`) REST endpoint and its token.
public struct RedisConfig: Sendable, CustomStringConvertible {
    public var url: URL
    public var token: String
    public var timeout: TimeInterval

    /// Reads `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN`.
    public static func load(_ env: EnvironmentReader) -> RedisConfig {
        RedisConfig(
            url: env.url("UPSTASH_REDIS_REST_URL"),
            token: env.required("UPSTASH_REDIS_REST_TOKEN"),
            timeout: env.seconds("REDIS_REST_TIMEOUT_SECONDS", default: 5)
        )
    }

    /// A REST client for this database.
    public func client(transport: any HTTPTransport) -> RedisREST {
        RedisREST(baseURL: url, token: token, transport: transport, timeout: timeout)
    }

    public var description: String { "RedisConfig(url: \(url.absoluteString), token: <redacted>, timeout: \(timeout))" }
}
