import Foundation
import ReviewCore
import ReviewRuntime
import Testing

@Suite struct HTTPTransportTests {
    /// A server that accepts the request and stays silent until released.
    static func silentServer() async throws -> (HTTPServer, AsyncStream<Void>.Continuation) {
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let server = try await HTTPServer.start(port: 0, threads: 1) { _ in
            for await _ in release {}
            return .json(200, Data("{}".utf8))
        }
        return (server, releaser)
    }

    /// Not URLSession's 60 s on Linux but the configured second: past the time limit, the test fails.
    @Test(.timeLimit(.minutes(1))) func timeoutIsHonouredWhenTheServerStaysSilent() async throws {
        let (server, releaser) = try await Self.silentServer()
        await #expect {
            try await URLSessionTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 1))
        } throws: { error in
            (error as? ReviewError)?.code == .timeout && (error as? ReviewError)?.message.contains("timed out after 1.0 s") == true
        }
        releaser.finish()
        await server.stop()
    }

    @Test func cancellingTheCallerEndsTheRequest() async throws {
        let (server, releaser) = try await Self.silentServer()
        let call = Task { try await URLSessionTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 600)) }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        releaser.finish()
        await server.stop()
    }

    @Test func emptyAnswersAreAnswers() async throws {
        let server = try await HTTPServer.start(port: 0, threads: 1) { _ in HTTPResponse(status: 204, headers: [:], body: Data()) }
        let response = try await URLSessionTransport().send(HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 10))
        await server.stop()
        #expect(response.status == 204 && response.body.isEmpty)
    }
}
