import Foundation
import ReviewCore
import ReviewRuntime
import Testing

@Suite struct HTTPTransportTests {
    /// Both clients keep the same promises: the shared one for the long calls (GitHub, the model),
    /// the failing-fast one for the queue and kicks.
    static let transports: [String] = ["shared", "failingFast"]

    static func transport(_ name: String) -> any HTTPTransport {
        name == "failingFast" ? AsyncHTTPClientTransport.failingFast : AsyncHTTPClientTransport()
    }

    /// A server that accepts the request and stays silent until released.
    static func silentServer() async throws -> (HTTPServer, AsyncStream<Void>.Continuation) {
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let server = try await HTTPServer.start(port: 0) { _ in
            for await _ in release {}
            return .json(200, Data("{}".utf8))
        }
        return (server, releaser)
    }

    /// The configured second, not a default of the client's: past the time limit, the test fails.
    @Test(.timeLimit(.minutes(1)), arguments: transports) func timeoutIsHonouredWhenTheServerStaysSilent(_ name: String) async throws {
        let (server, releaser) = try await Self.silentServer()
        await #expect {
            try await Self.transport(name).send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 1))
        } throws: { error in
            (error as? ReviewError)?.code == .timeout && (error as? ReviewError)?.message.contains("timed out after 1.0 s") == true
        }
        releaser.finish()
        await server.stop()
    }

    @Test(arguments: transports) func cancellingTheCallerEndsTheRequest(_ name: String) async throws {
        let (server, releaser) = try await Self.silentServer()
        let call = Task { try await Self.transport(name).send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 600)) }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        releaser.finish()
        await server.stop()
    }

    /// An answer longer than the request's cap is cut off and fails `too_large`; one within it is read whole.
    @Test(arguments: transports) func answersOverTheCapAreCutOff(_ name: String) async throws {
        let server = try await HTTPServer.start(port: 0) { request in
            HTTPResponse(status: 200, headers: [:], body: Data(repeating: 0x61, count: request.url.path == "/big" ? 3_000_000 : 1_000))
        }
        // A generous timeout: the whole suite shares two cores in CI, and this asserts outcomes, not speed.
        let transport = Self.transport(name)
        let base = "http://127.0.0.1:\(server.port)"
        do {
            _ = try await transport.send(HTTPRequest(url: URL(string: base + "/big")!, timeout: 120, maxResponseBytes: 1_000_000))
            Issue.record("a 3 MB answer passed a 1 MB cap")
        } catch let error as ReviewError {
            #expect(error.code == .tooLarge && error.message.contains("more than 1000000 bytes"), "\(error)")
        }
        let small = try await transport.send(HTTPRequest(url: URL(string: base + "/small")!, timeout: 120, maxResponseBytes: 1_000))
        let big = try await transport.send(HTTPRequest(url: URL(string: base + "/big")!, timeout: 120))
        await server.stop()
        #expect(small.body.count == 1_000 && big.body.count == 3_000_000)
    }

    @Test(arguments: transports) func emptyAnswersAreAnswers(_ name: String) async throws {
        let server = try await HTTPServer.start(port: 0) { _ in HTTPResponse(status: 204, headers: [:], body: Data()) }
        // The suite's generous timeout: on two loaded cores a 10 s one expired (outcome asserted, not speed).
        let response = try await Self.transport(name).send(HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)/")!, timeout: 120))
        await server.stop()
        #expect(response.status == 204 && response.body.isEmpty)
    }

    /// The queue's calls fail at once when nothing listens (the queue is down: the caller's retry
    /// policy decides), instead of retrying the connection until the call's deadline.
    @Test(.timeLimit(.minutes(1))) func theFailingFastClientFailsAtOnceWhenNothingListens() async throws {
        // Port 9 (discard): privileged, outside the ephemeral range every test server binds in.
        await #expect {
            try await AsyncHTTPClientTransport.failingFast.send(HTTPRequest(url: URL(string: "http://127.0.0.1:9/")!, timeout: 600))
        } throws: { error in
            (error as? ReviewError)?.code == .network
        }
    }
}
