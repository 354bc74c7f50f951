import Foundation
import RedisBridge
import ReviewCore
import ReviewRuntime

/// A real redis-server (on a unix socket in a temporary folder) behind an in-process `redis-rest`
/// bridge on a free port: what the tests talk to. Stop it with `shutdown()`.
package final class RedisHarness: @unchecked Sendable {
    package let token = "test-token-\(UUID().uuidString.prefix(8))"
    package let folder: URL
    package let bridge: RedisRESTBridge
    package let server: HTTPServer
    private var redis: ChildProcess?

    package var socketPath: String { folder.appendingPathComponent("redis.sock").path }
    package var restURL: URL { URL(string: "http://127.0.0.1:\(server.port)")! }

    package static func start() async throws -> RedisHarness {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try await RedisHarness(folder: folder, redis: try await onOwnThread { try startRedisServer(folder: folder) })
    }

    private init(folder: URL, redis: ChildProcess) async throws {
        self.folder = folder
        self.redis = redis
        bridge = RedisRESTBridge(redis: .unix(path: folder.appendingPathComponent("redis.sock").path), token: token)
        let bridge = self.bridge
        server = try await HTTPServer.start(port: 0) { await bridge.handle($0) }
    }

    /// The environment a function needs to reach this queue.
    package func environment(queue: String = "q-\(UUID().uuidString.prefix(8))") -> [String: String] {
        // A generous timeout: 25 suites share two cores in CI, and a test asserts outcomes, not speed.
        ["UPSTASH_REDIS_REST_URL": restURL.absoluteString, "UPSTASH_REDIS_REST_TOKEN": token, "QUEUE_NAME": queue, "REDIS_REST_TIMEOUT_SECONDS": "120"]
    }

    package func client(transport: any HTTPTransport = AsyncHTTPClientTransport.failingFast) -> RedisREST {
        RedisREST(baseURL: restURL, token: token, transport: transport, timeout: 120)
    }

    /// Stops redis-server (the bridge keeps answering, with 503s).
    package func stopRedis() async {
        guard let redis else { return }
        // SIGKILL: a redis-server without persistence has nothing to flush.
        redis.send(SIGKILL)
        _ = try? await onOwnThread { redis.wait() }
        self.redis = nil
    }

    /// Starts redis-server again on the same socket, empty unless it was never stopped.
    package func restartRedis() async throws {
        await stopRedis()
        let folder = self.folder
        redis = try await onOwnThread { try Self.startRedisServer(folder: folder) }
    }

    package func shutdown() async {
        await stopRedis()
        await server.stop()
        await bridge.shutdown()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts `redis-server` in the foreground and returns once it prints that it accepts connections.
    static func startRedisServer(folder: URL) throws -> ChildProcess {
        let process = try ChildProcess.spawn(
            try Tools.path(of: "redis-server", env: "REDIS_SERVER"),
            arguments: [
                "--port", "0", "--unixsocket", folder.appendingPathComponent("redis.sock").path, "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--dir", folder.path, "--daemonize", "no", "--loglevel", "notice",
            ], environment: [:], stdout: .pipe, stderr: .stdout)
        let output = process.stdout!
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).lowercased().contains("ready to accept connections") {
            let chunk = output.availableData
            if chunk.isEmpty {
                process.wait()
                throw TestSetupError("redis-server exited: \(String(decoding: seen, as: UTF8.self))")
            }
            seen.append(chunk)
        }
        // Keep draining its output so redis-server never blocks on a full pipe.
        Thread.detachNewThread { while !output.availableData.isEmpty {} }
        return process
    }
}

/// Finds the programs and files the tests use.
package enum Tools {
    /// An executable from `$env` or the PATH.
    package static func path(of name: String, env: String) throws -> String {
        if let given = ProcessInfo.processInfo.environment[env], !given.isEmpty { return given }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSetupError("\(name) not found: install it (make test does) or set \(env)")
    }

    /// The package root (this file is Sources/ReviewTesting/RedisHarness.swift).
    package static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The repository's `fixtures` (real payloads and diffs, with their licences), or `$FIXTURES_DIR`.
    package static var fixtures: URL {
        if let given = ProcessInfo.processInfo.environment["FIXTURES_DIR"] { return URL(fileURLWithPath: given) }
        return packageRoot.appendingPathComponent("fixtures")
    }

    /// A built executable of this package (`swift build` puts them next to the test bundle).
    package static func binary(_ name: String) throws -> URL {
        var candidates: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["BIN_DIR"] { candidates.append(URL(fileURLWithPath: dir)) }
        if let exe = Bundle.main.executableURL { candidates.append(exe.deletingLastPathComponent()) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(packageRoot.appendingPathComponent(".build/debug"))
        for folder in candidates {
            let url = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw TestSetupError("built \(name) not found; run `swift build` before `swift test` (make test does)")
    }
}

extension RedisHarness {
    /// Runs `body` against a fresh harness and always shuts it down.
    package static func with<T>(_ body: (RedisHarness) async throws -> T) async throws -> T {
        let harness = try await RedisHarness.start()
        do {
            let result = try await body(harness)
            await harness.shutdown()
            return result
        } catch {
            await harness.shutdown()
            throw error
        }
    }
}

/// A test's environment is missing something (a tool, a built binary): says what and how to get it.
package struct TestSetupError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
