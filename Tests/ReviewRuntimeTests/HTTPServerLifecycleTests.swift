import Foundation
import ReviewTesting
import Testing

@testable import ReviewRuntime

/// Every connection and every request is a child of the server's one task: stopping reaches them.
@Suite struct HTTPServerLifecycleTests {
    /// A server whose handler says when a request arrives, then waits for `gate` (or cancellation)
    /// and answers whether it was cancelled.
    static func gatedServer(gate: AsyncStream<Void>, arrived: AsyncStream<Void>.Continuation) async throws -> HTTPServer {
        try await HTTPServer.start(port: 0, limits: HTTPServerLimits(idleTimeout: 600)) { request in
            guard request.url.path == "/wait" else { return HTTPResponse(status: 200, headers: [:], body: Data("quick".utf8)) }
            arrived.yield()
            for await _ in gate { break }
            return HTTPResponse(status: 200, headers: [:], body: Data("cancelled=\(Task.isCancelled)".utf8))
        }
    }

    @Test func stopCancelsTheRequestUnderWayAndStillWritesItsAnswer() async throws {
        let (gate, _) = AsyncStream.makeStream(of: Void.self)  // never opened: only cancellation ends the wait
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let server = try await Self.gatedServer(gate: gate, arrived: arrived)
        let client = try RawConnection(port: server.port)
        #expect(client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"))
        for await _ in arrivals { break }
        await server.stop()
        let answer = try await onOwnThread { client.readUntilClosed() }
        let text = String(decoding: answer.data, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200") && text.hasSuffix("cancelled=true"), "\(text)")
        #expect(answer.closed)
        #expect(server.openConnections == 0)
    }

    @Test func gracefulShutdownClosesIdleConnectionsAndLetsTheBusyOneFinish() async throws {
        let (gate, opener) = AsyncStream.makeStream(of: Void.self)
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let server = try await Self.gatedServer(gate: gate, arrived: arrived)
        let idle = try RawConnection(port: server.port)
        #expect(idle.send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try await onOwnThread { idle.read(until: "quick") }.found)
        let busy = try RawConnection(port: server.port)
        #expect(busy.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"))
        for await _ in arrivals { break }
        await server.waitUntil(busy: 1)  // the first connection's answer is written: it is idle

        let shutdown = Task { await server.shutdown(grace: 600) }
        // The idle keep-alive connection is closed by the shutdown itself (its idle timeout is 600 s).
        #expect(try await onOwnThread { idle.readUntilClosed() }.closed)
        opener.yield()
        let answer = try await onOwnThread { busy.readUntilClosed() }
        await shutdown.value
        let text = String(decoding: answer.data, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200") && text.contains("connection: close") && text.hasSuffix("cancelled=false"), "\(text)")
        #expect(answer.closed)
    }
}
