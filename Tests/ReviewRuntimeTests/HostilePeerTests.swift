import Foundation
import ReviewTesting
import Testing

@testable import ReviewRuntime

/// Anyone who can reach a port is a stranger: what one can hold of a server is bounded.
@Suite struct HostilePeerTests {
    static func server(_ limits: HTTPServerLimits) async throws -> HTTPServer {
        try await HTTPServer.start(port: 0, limits: limits) { request in
            HTTPResponse(status: 200, headers: ["content-type": "text/plain"], body: Data("ok \(request.body.count)".utf8))
        }
    }

    @Test func aConnectionThatSaysNothingIsClosedAfterTheIdleTimeout() async throws {
        let server = try await Self.server(HTTPServerLimits(idleTimeout: 0.2))
        let silent = try RawConnection(port: server.port)
        let result = try await onOwnThread { silent.readUntilClosed() }
        await server.stop()
        #expect(result.closed && result.data.isEmpty)
    }

    @Test func aHalfSentHeadIsClosedAfterTheReadTimeout() async throws {
        let server = try await Self.server(HTTPServerLimits(idleTimeout: 600, readTimeout: 0.2))
        let slow = try RawConnection(port: server.port)
        #expect(slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"))
        let result = try await onOwnThread { slow.readUntilClosed() }
        await server.stop()
        #expect(result.closed && result.data.isEmpty)
    }

    @Test func aRequestThatCannotBeParsedIsAnswered400AndClosed() async throws {
        let server = try await Self.server(HTTPServerLimits(idleTimeout: 600))
        let garbage = try RawConnection(port: server.port)
        #expect(garbage.send("NOT HTTP AT ALL\r\n\u{01}\u{02}\r\n\r\n"))
        let result = try await onOwnThread { garbage.readUntilClosed() }
        await server.stop()
        #expect(result.closed)
        #expect(String(decoding: result.data, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
    }

    @Test func idlePeersAtTheConnectionCapMakeRoomForANewRequest() async throws {
        let server = try await Self.server(HTTPServerLimits(maxConnections: 8, idleTimeout: 600))
        var idle: [RawConnection] = []
        for _ in 0..<30 { idle.append(try RawConnection(port: server.port)) }
        // Every one of them has been seen (the event loops admit them in no set order) before the request comes.
        await server.waitUntil(admitted: 30)
        let response = try await AsyncHTTPClientTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/healthz")!, timeout: 60))
        let open = server.openConnections
        await server.stop()
        #expect(response.status == 200)
        #expect(open <= 8)
        withExtendedLifetime(idle) {}
    }

    @Test func theBodyLimitIsEnforcedBeforeTheBodyArrives() async throws {
        let server = try await Self.server(HTTPServerLimits(maxBodyBytes: 1000, idleTimeout: 600))
        let sender = try RawConnection(port: server.port)
        // The head claims 5 MB and no byte of the body follows: the answer cannot wait for it.
        #expect(sender.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n"))
        let answer = try await onOwnThread { sender.readUntilClosed() }
        // Chunked, with no length to read: refused once the bytes read pass the limit.
        let chunked = try RawConnection(port: server.port)
        #expect(chunked.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"))
        let chunk = String(repeating: "x", count: 600)
        chunked.send("258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n")
        let chunkedAnswer = try await onOwnThread { chunked.readUntilClosed() }
        await server.stop()
        #expect(String(decoding: answer.data, as: UTF8.self).hasPrefix("HTTP/1.1 413") && answer.closed)
        #expect(String(decoding: chunkedAnswer.data, as: UTF8.self).hasPrefix("HTTP/1.1 413") && chunkedAnswer.closed)
    }

    @Test func bodiesInFlightShareOneMemoryBudget() async throws {
        let registry = ConnectionRegistry(limits: HTTPServerLimits(maxBodyBytes: 1000, maxInFlightBodyBytes: 2500))
        #expect(registry.reserveBody(1000, peer: "a") && registry.reserveBody(1000, peer: "b"))
        #expect(!registry.reserveBody(1000, peer: "c"))
        registry.releaseBody(1000, peer: "a")
        #expect(registry.reserveBody(1000, peer: "c"))
        // Over the wire: a body bigger than the budget (but within the body limit) is refused with 503.
        let server = try await Self.server(HTTPServerLimits(maxBodyBytes: 10_000, maxInFlightBodyBytes: 4_000, idleTimeout: 600))
        let sender = try RawConnection(port: server.port)
        sender.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\n\r\n" + String(repeating: "y", count: 9000))
        let answer = try await onOwnThread { sender.readUntilClosed() }
        let small = try await AsyncHTTPClientTransport().send(
            HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)/")!, body: Data(count: 3000), timeout: 60))
        await server.stop()
        #expect(String(decoding: answer.data, as: UTF8.self).hasPrefix("HTTP/1.1 503"))
        // The refused body's bytes were given back: a request within the budget is served.
        #expect(small.status == 200 && String(decoding: small.body, as: UTF8.self) == "ok 3000")
    }

    /// One peer holds at most its share of the body budget: a stranger's unfinished bodies cannot
    /// black out deliveries (before: four of them filled the budget, and every delivery got 503).
    @Test func aStrangerHoldingUnfinishedBodiesTakesOnlyItsShare() async throws {
        let registry = ConnectionRegistry(limits: HTTPServerLimits(maxBodyBytes: 1000, maxInFlightBodyBytes: 4000))
        #expect(registry.limits.maxPeerInFlightBodyBytes == 1000)
        #expect(registry.reserveBody(900, peer: "203.0.113.9") && !registry.reserveBody(200, peer: "203.0.113.9"))
        #expect(registry.reserveBody(900, peer: "198.51.100.7"))
        // Over the wire, through a proxy on loopback that names the sender in X-Forwarded-For.
        let server = try await Self.server(HTTPServerLimits(maxBodyBytes: 1000, maxInFlightBodyBytes: 4000, idleTimeout: 600))
        let head = "POST / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.1, 203.0.113.9\r\nContent-Length: 1000\r\n\r\n"
        let holder = try RawConnection(port: server.port)
        #expect(holder.send(head + String(repeating: "h", count: 900)))  // never finished
        // Its bytes are counted before the next connection is read, whichever event loop reads which.
        await server.waitUntil(peer: "203.0.113.9", holds: 900)
        var refused = 0
        for _ in 0..<3 {
            // The same sender again (a forged first entry changes nothing): over its share, 503.
            let more = try RawConnection(port: server.port)
            more.send(head + String(repeating: "m", count: 900))
            let answer = try await onOwnThread { more.readUntilClosed() }
            if String(decoding: answer.data, as: UTF8.self).hasPrefix("HTTP/1.1 503") { refused += 1 }
        }
        let genuine = try await AsyncHTTPClientTransport().send(
            HTTPRequest(
                method: "POST", url: URL(string: "http://127.0.0.1:\(server.port)/")!, headers: ["x-forwarded-for": "198.51.100.7"], body: Data(count: 900),
                timeout: 60))
        await server.stop()
        #expect(refused == 3)
        #expect(genuine.status == 200 && String(decoding: genuine.body, as: UTF8.self) == "ok 900")
    }

    @Test func thePeerIsTheConnectionUnlessAProxyOfOursNamesIt() {
        #expect(PeerAddress.key(remote: "203.0.113.9", forwardedFor: "198.51.100.7") == "203.0.113.9")
        #expect(PeerAddress.key(remote: "127.0.0.1", forwardedFor: "198.51.100.7, 10.0.0.3") == "198.51.100.7")
        #expect(PeerAddress.key(remote: "169.254.1.1", forwardedFor: "1.2.3.4, 203.0.113.9") == "203.0.113.9")
        #expect(PeerAddress.key(remote: "::ffff:10.1.2.3", forwardedFor: "2001:db8::1") == "2001:db8::1")
        #expect(PeerAddress.key(remote: "127.0.0.1", forwardedFor: nil) == "127.0.0.1")
        #expect(PeerAddress.key(remote: "127.0.0.1", forwardedFor: String(repeating: "x", count: 100_000)) == "127.0.0.1")
        #expect(PeerAddress.isInternal("172.20.0.1") && !PeerAddress.isInternal("172.32.0.1") && PeerAddress.isInternal("fd00::1"))
    }

    @Test func keepAliveStillServesManyRequestsOnOneConnection() async throws {
        let server = try await Self.server(HTTPServerLimits(idleTimeout: 600))
        let client = try RawConnection(port: server.port)
        for round in 0..<3 {
            client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(round)\r\n\r\n" + String(repeating: "z", count: round))
            let (text, found) = try await onOwnThread { client.read(until: "ok \(round)") }
            #expect(found && text.hasPrefix("HTTP/1.1 200"), "\(text)")
        }
        await server.stop()
    }
}

/// The built functions, served as a platform would run them.
@Suite struct HostilePeerBinaryTests {
    @Test func reviewJobServeRefusesToStartUnauthenticatedOnAllInterfaces() async throws {
        let env = [
            "PATH": "/usr/bin:/bin", "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:1", "UPSTASH_REDIS_REST_TOKEN": "t",
            "REVIEW_RECORD_URL": "http://127.0.0.1:1/",
        ]
        let refused = try await ProcessRun.run(try Tools.binary("review-job"), arguments: ["serve"], environment: env.merging(["PORT": "0"]) { $1 })
        #expect(refused.exitCode == 2)
        #expect(refused.stderrText.contains("without REVIEW_JOB_KICK_TOKEN, so anyone who reaches the port could have any pull request reviewed"))
        // On loopback, or with the token, or said explicitly, it serves.
        for extra in [["HOST": "127.0.0.1"], ["REVIEW_JOB_KICK_TOKEN": "k"], ["REVIEW_JOB_ALLOW_UNAUTHENTICATED": "true", "HOST": "0.0.0.0"]] {
            let served = try await ServedProcess.start(try Tools.binary("review-job"), environment: env.merging(extra) { $1 })
            let health = try await AsyncHTTPClientTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(served.port)/healthz")!, timeout: 60))
            await served.stop()
            #expect(health.status == 200, "\(extra)")
        }
    }

    /// A caller without review-job's token is refused from the request's head: the 25 MiB body it
    /// announces is never read, nor waited for.
    @Test func reviewJobServeRefusesAStrangerBeforeItsBody() async throws {
        let env = [
            "PATH": "/usr/bin:/bin", "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:1", "UPSTASH_REDIS_REST_TOKEN": "t",
            "REVIEW_RECORD_URL": "http://127.0.0.1:1/", "REVIEW_JOB_KICK_TOKEN": "job-token", "HOST": "127.0.0.1",
        ]
        let served = try await ServedProcess.start(try Tools.binary("review-job"), environment: env)
        let connection = try RawConnection(port: served.port)
        #expect(connection.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 26214400\r\n\r\n{"))
        let (answer, closed) = connection.readUntilClosed()
        let health = try await AsyncHTTPClientTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(served.port)/healthz")!, timeout: 60))
        await served.stop()
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 401") && text.contains("REVIEW_JOB_KICK_TOKEN") && closed, "\(text.prefix(300))")
        #expect(health.status == 200, "health checks are not screened")
    }

    /// 300 idle connections against an instance allowed 256 open files: /healthz still answers.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit (util-linux)"))
    func idleConnectionsDoNotLockOutAFileLimitedInstance() async throws {
        let env = ["PATH": "/usr/bin:/bin", "GITHUB_WEBHOOK_SECRET": "s", "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:1", "UPSTASH_REDIS_REST_TOKEN": "t"]
        let served = try await ServedProcess.start(try Tools.binary("webhook-ingest"), prefix: ["/usr/bin/prlimit", "--nofile=256:256"], environment: env)
        var idle: [RawConnection] = []
        for _ in 0..<300 { idle.append(try RawConnection(port: served.port)) }
        let health = try await AsyncHTTPClientTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(served.port)/healthz")!, timeout: 60))
        await served.stop()
        #expect(health.status == 200)
        withExtendedLifetime(idle) {}
    }

    /// `WEBHOOK_MAX_BODY_BYTES` reaches the server: a head claiming more is refused before any body.
    @Test func ingestServeRefusesAnOversizedBodyBeforeReadingIt() async throws {
        let env = [
            "PATH": "/usr/bin:/bin", "GITHUB_WEBHOOK_SECRET": "s", "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:1", "UPSTASH_REDIS_REST_TOKEN": "t",
            "WEBHOOK_MAX_BODY_BYTES": "1000",
        ]
        let served = try await ServedProcess.start(try Tools.binary("webhook-ingest"), environment: env)
        let sender = try RawConnection(port: served.port)
        sender.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n\r\n")
        let answer = try await onOwnThread { sender.readUntilClosed() }
        await served.stop()
        #expect(String(decoding: answer.data, as: UTF8.self).hasPrefix("HTTP/1.1 413"))
        #expect(String(decoding: answer.data, as: UTF8.self).contains("the limit is 1000"))
    }
}
