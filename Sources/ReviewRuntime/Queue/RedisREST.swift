import Crypto
import Foundation
import ReviewCore

/// A client of the Upstash Redis REST protocol: `POST /` with a command array, `/pipeline`,
/// `/multi-exec`, Bearer auth, `{"result"}` / `{"error"}` replies.
///
/// Errors: `redis_error` for a command Redis refused (not retryable), `queue_unreachable` when no
/// answer came or the endpoint failed (retryable), `queue_unauthorized` for a rejected token.
public struct RedisREST: Sendable {
    public let baseURL: URL
    private let token: String
    private let transport: any HTTPTransport
    private let timeout: TimeInterval
    private let base64: Bool

    /// - Parameter base64: ask the server to base64-encode strings (`Upstash-Encoding: base64`), for binary-safe replies.
    public init(baseURL: URL, token: String, transport: any HTTPTransport, timeout: TimeInterval = 5, base64: Bool = false) {
        self.baseURL = baseURL
        self.token = token
        self.transport = transport
        self.timeout = timeout
        self.base64 = base64
    }

    /// One command, one round trip.
    public func send(_ command: [String]) async throws -> RedisValue {
        let reply = try await post(path: "", body: command)
        return try Self.result(of: reply, encoded: base64).get()
    }

    /// Several commands in one round trip, not atomic; one result per command.
    public func pipeline(_ commands: [[String]]) async throws -> [Result<RedisValue, ReviewError>] {
        try await batch(path: "pipeline", commands)
    }

    /// Several commands in one round trip, run as one transaction.
    public func multiExec(_ commands: [[String]]) async throws -> [Result<RedisValue, ReviewError>] {
        try await batch(path: "multi-exec", commands)
    }

    /// Runs `script` in one round trip when the server has it cached, two the first time.
    public func eval(_ script: RedisScript, keys: [String], args: [String]) async throws -> RedisValue {
        let tail = [String(keys.count)] + keys + args
        do {
            return try await send(["EVALSHA", script.sha1] + tail)
        } catch let error as ReviewError where error.cause?.has(code: "NOSCRIPT") == true {
            return try await send(["EVAL", script.source] + tail)
        }
    }

    private func batch(path: String, _ commands: [[String]]) async throws -> [Result<RedisValue, ReviewError>] {
        let reply = try await post(path: path, body: commands)
        guard case .array(let items) = reply else {
            if reply["error"] != nil { return [Self.result(of: reply, encoded: base64)] }
            throw ReviewError(.queueUnreachable, "Redis REST \(path) reply is not an array")
        }
        return items.map { Self.result(of: $0, encoded: base64) }
    }

    private func post(path: String, body: some Encodable) async throws -> JSONValue {
        var headers = ["authorization": "Bearer \(token)", "content-type": "application/json"]
        if base64 { headers["upstash-encoding"] = "base64" }
        let url = path.isEmpty ? baseURL : baseURL.appendingPathComponent(path)
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: try JSONEncoder.iso.encode(body), timeout: timeout)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch let error as ReviewError {
            // The transport's own code (timeout, network) stays on the error as its cause.
            throw ReviewError(
                .queueUnreachable, "Redis REST endpoint unreachable: \(error.message)",
                cause: error.cause ?? ReviewError.Cause(codes: [error.code.rawValue], text: error.message))
        }
        if response.status == 401 || response.status == 403 {
            throw ReviewError(.queueUnauthorized, "Redis REST endpoint refused the token (HTTP \(response.status))")
        }
        guard let reply = try? JSONValue.parse(response.body) else {
            throw ReviewError(.queueUnreachable, "Redis REST endpoint answered HTTP \(response.status) without a JSON body")
        }
        if response.status >= 500 {
            let detail = reply["error"]?.stringValue ?? "HTTP \(response.status)"
            throw ReviewError(.queueUnreachable, "Redis REST endpoint failed: \(detail)")
        }
        return reply
    }

    private static func result(of reply: JSONValue, encoded: Bool) -> Result<RedisValue, ReviewError> {
        if let error = reply["error"]?.stringValue {
            // Redis's error word (`NOSCRIPT`, `WRONGTYPE`, `ERR`) is kept as data for callers to act on.
            let word = String(error.prefix { $0 != " " })
            return .failure(ReviewError(.redisError, error, cause: ReviewError.Cause(codes: [word], text: error)))
        }
        guard let result = reply["result"] else {
            return .failure(ReviewError(.redisError, "reply has neither result nor error"))
        }
        return .success(value(result, encoded: encoded))
    }

    private static func value(_ json: JSONValue, encoded: Bool) -> RedisValue {
        switch json {
        case .null: return .null
        case .bool(let flag): return .int(flag ? 1 : 0)
        case .number(let number): return .int(Int(number))
        case .string(let string):
            guard encoded, string != "OK", let data = Data(base64Encoded: string) else { return .string(string) }
            return .string(String(decoding: data, as: UTF8.self))
        case .array(let items): return .array(items.map { value($0, encoded: encoded) })
        case .object: return .null
        }
    }
}
