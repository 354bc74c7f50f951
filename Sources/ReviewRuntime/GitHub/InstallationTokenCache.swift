import Foundation
import ReviewCore

/// Where minted installation tokens are shared between function instances: one Redis hash per
/// installation (`{queue}:token:<id>`, field = repository), expiring with its newest token.
/// review-job reads and writes it; webhook-ingest drops it when the installation goes away.
public struct InstallationTokenCache: Sendable {
    /// A token and when GitHub said it expires.
    public struct Entry: Codable, Sendable, Equatable {
        public let token: String
        public let expiresAt: Date
    }

    public let redis: RedisREST
    /// The queue's key prefix, so the tokens live under the same hash tag.
    public let prefix: String

    public init(redis: RedisREST, prefix: String) {
        self.redis = redis
        self.prefix = prefix
    }

    public init(queue: RedisJobQueue) {
        self.init(redis: queue.redis, prefix: queue.prefix)
    }

    package func key(_ installationId: Int) -> String { prefix + "token:\(installationId)" }

    /// The cached token for `repository`, if any (a token that cannot be read is no token).
    public func entry(installationId: Int, repository: String) async -> Entry? {
        guard let stored = try? await redis.send(["HGET", key(installationId), repository]).string else { return nil }
        return try? JSONDecoder.iso.decode(Entry.self, from: Data(stored.utf8))
    }

    /// Stores a token; a failure only costs the next instance a mint.
    public func store(_ entry: Entry, installationId: Int, repository: String) async {
        guard let data = try? JSONEncoder.iso.encode(entry) else { return }
        _ = try? await redis.pipeline([
            ["HSET", key(installationId), repository, String(decoding: data, as: UTF8.self)],
            ["EXPIREAT", key(installationId), String(Int(entry.expiresAt.timeIntervalSince1970))],
        ])
    }

    /// Forgets the token of one repository (GitHub refused it).
    public func remove(installationId: Int, repository: String) async {
        _ = try? await redis.send(["HDEL", key(installationId), repository])
    }

    /// Forgets every token of an installation (it was deleted or suspended).
    public func drop(installationId: Int) async throws {
        _ = try await redis.send(["DEL", key(installationId)])
    }
}
