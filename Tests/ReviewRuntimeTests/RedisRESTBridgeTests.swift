import Foundation
import RedisBridge
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

@Suite struct RedisRESTBridgeTests {
    /// The Python of the venv `make test` prepares, holding Upstash's official client.
    static var python: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["UPSTASH_PYTHON"], Tools.packageRoot.appendingPathComponent(".venv/bin/python").path]
        return candidates.compactMap(\.self).first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.enabled(if: python != nil, "needs the upstash-redis venv: run make test"))
    func officialUpstashClientAgrees() async throws {
        try await RedisHarness.with { harness in
            let script = Tools.packageRoot.appendingPathComponent("scripts/upstash_client_check.py").path
            let run = try await ProcessRun.run(
                URL(fileURLWithPath: Self.python!), arguments: [script, harness.restURL.absoluteString, harness.token],
                environment: ProcessInfo.processInfo.environment)
            #expect(run.exitCode == 0, "\(run.stdoutText)\(run.stderrText)")
            #expect(run.stdoutText.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count == 29, "\(run.stdoutText)")
        }
    }

    @Test func clientSpeaksTheProtocol() async throws {
        try await RedisHarness.with { harness in
            let redis = harness.client()
            #expect(try await redis.send(["SET", "k", "v"]) == .string("OK"))
            #expect(try await redis.send(["GET", "k"]) == .string("v"))
            #expect(try await redis.send(["GET", "missing"]) == .null)
            #expect(try await redis.send(["RPUSH", "l", "a", "b"]) == .int(2))
            #expect(try await redis.send(["LRANGE", "l", "0", "-1"]) == .array([.string("a"), .string("b")]))

            let piped = try await redis.pipeline([["INCR", "n"], ["LPUSH", "k", "x"], ["INCR", "n"]])
            #expect(try piped[0].get() == .int(1))
            #expect(try piped[2].get() == .int(2))
            #expect(throws: ReviewError.self) { _ = try piped[1].get() }

            let transaction = try await redis.multiExec([["SET", "t", "1"], ["INCR", "t"]])
            #expect(try transaction.map { try $0.get() } == [.string("OK"), .int(2)])

            let error = await #expect(throws: ReviewError.self) {
                try await redis.send(["GET"])
            }
            #expect(error?.code == .redisError && error?.message == "ERR wrong number of arguments for 'get' command")
            #expect(error?.cause?.has(code: "ERR") == true, "Redis's error word is kept as data")
            let binarySafe = RedisREST(baseURL: harness.restURL, token: harness.token, transport: AsyncHTTPClientTransport(), timeout: 30, base64: true)
            #expect(try await binarySafe.send(["SET", "u", "ünïcødé \"quoted\""]) == .string("OK"))
            #expect(try await binarySafe.send(["GET", "u"]) == .string("ünïcødé \"quoted\""))
        }
    }

    @Test func scriptsFallBackFromEvalshaToEval() async throws {
        try await RedisHarness.with { harness in
            let redis = harness.client()
            let script = RedisScript(name: "t", source: "return redis.call('INCRBY', KEYS[1], ARGV[1])")
            let first = try await redis.eval(script, keys: ["s"], args: ["3"])
            let before = harness.bridge.requestCount
            let second = try await redis.eval(script, keys: ["s"], args: ["3"])
            #expect(first == .int(3) && second == .int(6))
            #expect(harness.bridge.requestCount == before + 1, "a cached script is one round trip")
        }
    }

    /// A runaway script does not wedge Redis: SCRIPT KILL goes on a connection of its own and ends it.
    @Test(.timeLimit(.minutes(1))) func aRunawayScriptCanBeKilled() async throws {
        try await RedisHarness.with { harness in
            let redis = harness.client()
            let runaway = Task { try await redis.send(["EVAL", "while true do end", "0"]) }
            // NOTBUSY until the script runs; then redis-server takes the kill once the script passes
            // its busy threshold (5 s by default).
            var answer: RedisValue?
            for _ in 0..<1_000 where answer == nil {
                answer = try? await redis.send(["SCRIPT", "KILL"])
            }
            #expect(answer == .string("OK"))
            await #expect { try await runaway.value } throws: { error in
                (error as? ReviewError)?.message.contains("killed") == true
            }
            #expect(try await redis.send(["PING"]) == .string("PONG"))
            // Not in a batch: it could not reach the server past the runaway.
            let batch = try await redis.pipeline([["SCRIPT", "KILL"]])
            guard case .failure(let refused)? = batch.first else { Issue.record("SCRIPT KILL ran in a pipeline"); return }
            #expect(refused.message.contains("not allowed in a pipeline"))
        }
    }

    @Test func wrongTokenAndBadRequestsGetUpstashErrors() async throws {
        try await RedisHarness.with { harness in
            let wrong = RedisREST(baseURL: harness.restURL, token: "nope", transport: AsyncHTTPClientTransport(), timeout: 30)
            let error = await #expect(throws: ReviewError.self) {
                try await wrong.send(["PING"])
            }
            #expect(error?.code == .queueUnauthorized && error?.message == "Redis REST endpoint refused the token (HTTP 401)")
            let transport = AsyncHTTPClientTransport()
            let auth = ["authorization": "Bearer \(harness.token)"]
            let garbage = try await transport.send(HTTPRequest(method: "POST", url: harness.restURL, headers: auth, body: Data("[\"SET\"".utf8)))
            #expect(garbage.status == 400 && String(decoding: garbage.body, as: UTF8.self).contains("failed to parse command"))
            let refused = try await transport.send(HTTPRequest(method: "POST", url: harness.restURL, headers: auth, body: Data(#"["SELECT","1"]"#.utf8)))
            #expect(refused.status == 400)
            for command in [
                #"["CLIENT","REPLY","OFF"]"#, #"["CLIENT","PAUSE","10000"]"#, #"["DEBUG","SLEEP","10"]"#,
                #"["CONFIG","SET","appendonly","no"]"#, #"["MONITOR"]"#, #"["SCRIPT","DEBUG","YES"]"#, #"["OBJECT","FREQ","k"]"#,
            ] {
                let answer = try await transport.send(HTTPRequest(method: "POST", url: harness.restURL, headers: auth, body: Data(command.utf8)))
                #expect(answer.status == 400 && String(decoding: answer.body, as: UTF8.self).contains("Command is not allowed"), "\(command)")
            }
            // What Upstash serves beyond this server's version or modules is passed on: the server
            // itself answers (here: it does not know them), not the bridge's refusal.
            for command in [#"["JSON.SET","j","$","{}"]"#, #"["JSON.GET","j"]"#, #"["XDELEX","s","IDS","1","1-1"]"#, #"["XACKDEL","s","g","IDS","1","1-1"]"#] {
                let answer = try await transport.send(HTTPRequest(method: "POST", url: harness.restURL, headers: auth, body: Data(command.utf8)))
                let text = String(decoding: answer.body, as: UTF8.self)
                #expect(answer.status == 400 && text.contains("unknown command") && !text.contains("not allowed"), "\(command): \(text)")
            }
            #expect(try await harness.client().send(["PING"]) == .string("PONG"))
            let pathStyle = try await transport.send(HTTPRequest(url: URL(string: harness.restURL.absoluteString + "/echo/hi%20there")!, headers: auth))
            #expect(pathStyle.status == 200 && String(decoding: pathStyle.body, as: UTF8.self) == #"{"result":"hi there"}"#)
            // Path segments are decoded once: `%2F` is a slash inside the key, `%2541` stays `%41`.
            let once = try await transport.send(HTTPRequest(url: URL(string: harness.restURL.absoluteString + "/set/a%2Fb/x%2541")!, headers: auth))
            #expect(once.status == 200)
            #expect(try await harness.client().send(["GET", "a/b"]) == .string("x%41"))
            let queryToken = try await transport.send(HTTPRequest(url: URL(string: harness.restURL.absoluteString + "/ping?_token=\(harness.token)")!))
            #expect(queryToken.status == 200)
        }
    }

    @Test func bridgeAnswers503WhileRedisIsDownAndRecovers() async throws {
        try await RedisHarness.with { harness in
            let redis = harness.client()
            #expect(try await redis.send(["PING"]) == .string("PONG"))
            await harness.stopRedis()
            await #expect(throws: ReviewError.self) { try await redis.send(["PING"]) }
            try await harness.restartRedis()
            #expect(try await redis.send(["PING"]) == .string("PONG"))
        }
    }
}
