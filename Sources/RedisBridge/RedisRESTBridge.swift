import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ReviewCore
import ReviewRuntime

/// An Upstash-compatible REST endpoint in front of a real redis-server, for local runs and tests:
/// `POST /` (command array), `POST /pipeline`, `POST /multi-exec`, path-style `/CMD/arg/…`,
/// Bearer or `_token` auth, `Upstash-Encoding: base64`, and Upstash's status codes and error shapes.
///
/// Read-your-writes as Upstash does it: every answer carries `Upstash-Sync-Token`, which moves on
/// after any command that may write (scripts included); a request carrying a token is answered
/// once the data it names is visible. With one redis-server and no replicas, a token this bridge
/// issued always is, so honouring it costs nothing; a token it did not issue (another bridge, a
/// restart) names nothing it could wait for and is ignored.
package final class RedisRESTBridge: Sendable {
    private let token: String
    private let connection: RedisConnection
    private let group: MultiThreadedEventLoopGroup
    private let requests = NIOLockedValueBox(0)
    /// Writes seen, and this bridge's instance id: the sync token is `instance-writes`.
    private let writes = NIOLockedValueBox<UInt64>(0)
    private let instance = String(UUID().uuidString.prefix(8)).lowercased()

    package init(redis: RedisAddress, token: String) {
        self.token = token
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        connection = RedisConnection(address: redis, group: group)
    }

    /// HTTP requests answered so far (every one is a billed round trip on Upstash).
    package var requestCount: Int { requests.withLockedValue { $0 } }

    package func shutdown() async {
        await connection.close()
        try? await group.shutdownGracefully()
    }

    package func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var response = await answer(request)
        response.headers["upstash-sync-token"] = "\(instance)-\(writes.withLockedValue { $0 })"
        return response
    }

    /// Moves the sync token on when any of `commands` may have written.
    private func record(_ commands: [[[UInt8]]]) {
        if commands.contains(where: UpstashCommands.mayWrite) { writes.withLockedValue { $0 += 1 } }
    }

    private func answer(_ request: HTTPRequest) async -> HTTPResponse {
        requests.withLockedValue { $0 += 1 }
        guard authorized(request) else { return reply(401, error: "Unauthorized") }
        let base64 = request.header("upstash-encoding")?.lowercased() == "base64"
        // Split the path as sent and decode each segment once: `%2F` is a slash inside an argument.
        let rawPath = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? request.url.path
        let path = rawPath.removingPercentEncoding ?? rawPath
        do {
            switch (request.method, path) {
            case ("POST", "/"):
                let command = try Self.command(from: try Self.json(request.body))
                return try await single(command, base64: base64)
            case ("POST", "/pipeline"), ("POST", "/multi-exec"):
                guard case .array(let items) = try Self.json(request.body), !items.isEmpty else {
                    throw BridgeError("ERR pipeline body must be a non-empty array of commands")
                }
                let commands = try items.map(Self.command(from:))
                return try await batch(commands, transaction: path == "/multi-exec", base64: base64)
            case ("GET", _), ("POST", _):
                var command = rawPath.split(separator: "/", omittingEmptySubsequences: true)
                    .map { Array(($0.removingPercentEncoding ?? String($0)).utf8) }
                if request.method == "POST", !request.body.isEmpty { command.append(Array(request.body)) }
                guard !command.isEmpty else { throw BridgeError("ERR empty command") }
                return try await single(command, base64: base64)
            default:
                return reply(405, error: "ERR method \(request.method) not allowed")
            }
        } catch let error as BridgeError {
            return reply(400, error: error.message)
        } catch {
            return reply(503, error: "ERR redis-server unreachable: \(error)")
        }
    }

    private func single(_ command: [[UInt8]], base64: Bool) async throws -> HTTPResponse {
        let replies: [RESPValue]
        switch UpstashCommands.verdict(for: command, inBatch: false) {
        case .refused(let message): throw BridgeError(message)
        case .blocking: replies = try await connection.sendOnDedicatedConnection([command])
        case .allowed: replies = try await connection.send([command])
        }
        record([command])
        if case .error(let message) = replies[0] { return reply(400, error: message) }
        return reply(200, body: ["result": Self.json(replies[0], base64: base64)])
    }

    private func batch(_ commands: [[[UInt8]]], transaction: Bool, base64: Bool) async throws -> HTTPResponse {
        for command in commands {
            if case .refused(let message) = UpstashCommands.verdict(for: command, inBatch: true) { throw BridgeError(message) }
        }
        var results: [RESPValue]
        if transaction {
            let replies = try await connection.send([[Array("MULTI".utf8)]] + commands + [[Array("EXEC".utf8)]])
            record(commands)
            if let queued = replies.dropFirst().dropLast().first(where: { if case .error = $0 { true } else { false } }),
                case .error(let message) = queued
            {
                return reply(400, error: "EXECABORT Transaction discarded because of: \(message)")
            }
            switch replies.last {
            case .array(let items)?: results = items ?? []
            case .error(let message)?: return reply(400, error: message)
            default: return reply(400, error: "ERR transaction aborted")
            }
        } else {
            results = try await connection.send(commands)
            record(commands)
        }
        let items: [Any] = results.map { value -> [String: Any] in
            if case .error(let message) = value { return ["error": message] }
            return ["result": Self.json(value, base64: base64)]
        }
        return reply(200, body: items)
    }

    private func authorized(_ request: HTTPRequest) -> Bool {
        var given = request.header("authorization").flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        if given == nil {
            given = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "_token" }?.value
        }
        guard let given else { return false }
        // Compare digests so the time taken says nothing about the token.
        return SHA256.hash(data: Data(given.utf8)) == SHA256.hash(data: Data(token.utf8))
    }

    private func reply(_ status: Int, error: String) -> HTTPResponse {
        reply(status, body: ["error": error])
    }

    private func reply(_ status: Int, body: Any) -> HTTPResponse {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data()
        return .json(status, data)
    }

    private struct BridgeError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    private static func json(_ body: Data) throws -> JSONValue {
        do { return try JSONValue.parse(body, what: "command") } catch { throw BridgeError("ERR failed to parse command: \(error.message)") }
    }

    /// A JSON command array → argument bytes. Numbers and booleans become their text; objects their JSON.
    private static func command(from json: JSONValue) throws -> [[UInt8]] {
        guard case .array(let items) = json, !items.isEmpty else { throw BridgeError("ERR command must be a non-empty JSON array") }
        return try items.map { item in
            switch item {
            case .string(let text): return Array(text.utf8)
            case .number(let number):
                if number.rounded() == number, abs(number) < 9.0e15 { return Array(String(Int64(number)).utf8) }
                return Array("\(number)".utf8)
            case .bool(let flag): return Array((flag ? "true" : "false").utf8)
            case .null: throw BridgeError("ERR null is not a valid command argument")
            case .array, .object:
                return Array(((try? JSONEncoder.iso.encode(item)) ?? Data()))
            }
        }
    }

    /// A RESP reply → the JSON value Upstash returns (strings base64-encoded on request, "OK" excepted).
    private static func json(_ value: RESPValue, base64: Bool) -> Any {
        switch value {
        case .simple(let text): return base64 && text != "OK" ? Data(text.utf8).base64EncodedString() : text
        case .error(let message): return message
        case .integer(let number): return number
        case .bulk(nil), .array(nil): return NSNull()
        case .bulk(let bytes?): return base64 ? Data(bytes).base64EncodedString() : String(decoding: bytes, as: UTF8.self)
        case .array(let items?): return items.map { json($0, base64: base64) }
        }
    }
}
