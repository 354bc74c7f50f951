import ArgumentParser
import Foundation
import RedisBridge
import ReviewRuntime

@main
struct RedisREST: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis-rest",
        abstract: "An Upstash-compatible REST endpoint in front of a real redis-server, for local runs and tests.",
        discussion: "Prints `redis-rest listening on URL` once bound (PORT=0 picks a free port).\n\n" + EnvironmentHelp.section(for: .redisREST),
        version: Build.version
    )

    func run() async throws {
        let env = EnvironmentReader()
        let token = env.required("REDIS_REST_TOKEN")
        let port = env.int("PORT", default: 8079, range: 0...65535)
        let host = env.optional("HOST") ?? "127.0.0.1"
        do {
            try env.validate()
            let bridge = RedisRESTBridge(redis: try RedisAddress(env.optional("REDIS_URL") ?? "redis://127.0.0.1:6379"), token: token)
            let server = try await HTTPServer.start(host: host, port: port, limits: HTTPServerLimits(maxBodyBytes: 64 * 1024 * 1024)) {
                await bridge.handle($0)
            }
            // The bound port on stdout, so a script that asked for port 0 can read it.
            FileHandle.standardOutput.write(Data("redis-rest listening on http://\(host):\(server.port)\n".utf8))
            await server.waitUntilClosed()
        } catch {
            FileHandle.standardError.write(Data("redis-rest: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
