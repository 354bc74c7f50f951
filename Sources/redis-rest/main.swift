import Foundation
import RedisBridge
import ReviewRuntime

// redis-rest: an Upstash-compatible REST endpoint in front of redis-server.
// Environment: REDIS_URL (redis://127.0.0.1:6379 or unix:///path), REDIS_REST_TOKEN, PORT (default 8079), HOST (default 127.0.0.1).
let env = ConfigReader()
let token = env.required("REDIS_REST_TOKEN")
let port = env.int("PORT", default: 8079, range: 0...65535)
let host = env.optional("HOST") ?? "127.0.0.1"
do {
    try env.validate()
    let bridge = RedisRESTBridge(redis: try RedisAddress(env.optional("REDIS_URL") ?? "redis://127.0.0.1:6379"), token: token)
    let server = try await HTTPServer.start(host: host, port: port, limits: HTTPServerLimits(maxBodyBytes: 64 * 1024 * 1024)) { await bridge.handle($0) }
    // The bound port on stdout, so a script that asked for port 0 can read it.
    FileHandle.standardOutput.write(Data("redis-rest listening on http://\(host):\(server.port)\n".utf8))
    await server.waitUntilClosed()
} catch {
    FileHandle.standardError.write(Data("redis-rest: \(error)\n".utf8))
    exit(2)
}
