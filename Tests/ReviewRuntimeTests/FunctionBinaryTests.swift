import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// The built `webhook-ingest` executable, run as a process the way each platform runs it.
@Suite struct FunctionBinaryTests {
    func environment(_ harness: RedisHarness) -> [String: String] {
        harness.environment().merging(["GITHUB_WEBHOOK_SECRET": WebhookFixtures.secret, "PATH": "/usr/bin:/bin"], uniquingKeysWith: { $1 })
    }

    @Test func stdinEventInFunctionURLResponseOut() async throws {
        try await RedisHarness.with { harness in
            let body = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let event = WebhookFixtures.functionURLEvent(headers: WebhookFixtures.headers(event: "pull_request", body: body), body: body)
            let env = environment(harness)
            let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: event, environment: env)
            #expect(run.exitCode == 0, "\(run.stderrText)")
            let response = try JSONDecoder().decode(FunctionURLResponse.self, from: run.stdout)
            #expect(response.statusCode == 202)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.body.contains(#""status":"queued""#))
            // Logs are JSON lines on stderr and never carry the secrets.
            let logLines = run.stderrText.split(separator: "\n")
            #expect(!logLines.isEmpty && logLines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
            #expect(!run.stderrText.contains(WebhookFixtures.secret) && !run.stderrText.contains(harness.token))
        }
    }

    @Test func rejectedDeliveryStillExitsZeroButUnreadableEventDoesNot() async throws {
        try await RedisHarness.with { harness in
            let env = environment(harness)
            let forged = WebhookFixtures.functionURLEvent(headers: ["x-github-event": "ping", "x-hub-signature-256": "sha256=00"], body: Data("{}".utf8))
            let refused = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: forged, environment: env)
            #expect(refused.exitCode == 0)
            #expect(try JSONDecoder().decode(FunctionURLResponse.self, from: refused.stdout).statusCode == 401)

            let unreadable = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: Data("not json".utf8), environment: env)
            #expect(unreadable.exitCode == 2)
            #expect(unreadable.stdoutText.contains("event is not valid JSON"))

            let missingFile = try await ProcessRun.run(try Tools.binary("webhook-ingest"), arguments: ["--event", "/nonexistent/event.json"], environment: env)
            #expect(missingFile.exitCode == 2 && missingFile.stdoutText.contains("cannot read event file"))
        }
    }

    @Test func missingConfigurationIsOneErrorAndExitTwo() async throws {
        let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: Data("{}".utf8), environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.exitCode == 2)
        #expect(run.stderrText.contains("missing environment variables: GITHUB_WEBHOOK_SECRET, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN"))
    }

    @Test func lambdaRuntimeLoopAnswersThroughTheRuntimeAPI() async throws {
        try await RedisHarness.with { harness in
            let body = try WebhookFixtures.payload("ping", "payload.json")
            let event = WebhookFixtures.functionURLEvent(headers: WebhookFixtures.headers(event: "ping", body: body), body: body)
            let runtime = try await LambdaRuntimeStandIn.start(events: [event])
            var env = environment(harness)
            env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(runtime.server.port)"
            let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), environment: env)
            await runtime.server.stop()
            #expect(run.exitCode == 0, "\(run.stderrText)")
            let responses = runtime.responses
            #expect(responses.count == 1 && responses.first?.kind == "response", "\(run.stderrText)")
            #expect(responses.first?.requestId == "request-1")
            let response = try JSONDecoder().decode(FunctionURLResponse.self, from: responses.first?.body ?? Data())
            #expect(response.statusCode == 200 && response.body.contains("pong"))
        }
    }
}

/// The AWS Lambda Runtime API as a function sees it: hands out the given events, records what
/// comes back, then answers `next` with an error so the loop under test ends.
final class LambdaRuntimeStandIn: Sendable {
    struct Posted: Sendable { let requestId: String; let kind: String; let body: Data }
    let server: HTTPServer
    private let state: NIOLockedValueBox<(events: [Data], posted: [Posted])>

    var responses: [Posted] { state.withLockedValue { $0.posted } }

    private init(server: HTTPServer, state: NIOLockedValueBox<(events: [Data], posted: [Posted])>) {
        self.server = server
        self.state = state
    }

    static func start(events: [Data]) async throws -> LambdaRuntimeStandIn {
        let state = NIOLockedValueBox<(events: [Data], posted: [Posted])>((events, []))
        let counter = NIOLockedValueBox(0)
        let server = try await HTTPServer.start(port: 0) { request in
            let parts = request.url.path.split(separator: "/").map(String.init)
            if request.method == "GET", parts.suffix(2) == ["invocation", "next"] {
                guard let event = state.withLockedValue({ $0.events.isEmpty ? nil : $0.events.removeFirst() }) else {
                    return .json(500, Data(#"{"errorMessage":"no more events"}"#.utf8))
                }
                let number = counter.withLockedValue {
                    $0 += 1; return $0
                }
                let deadline = String(Int64((Date().timeIntervalSince1970 + 30) * 1000))
                return HTTPResponse(
                    status: 200, headers: ["lambda-runtime-aws-request-id": "request-\(number)", "lambda-runtime-deadline-ms": deadline], body: event)
            }
            if request.method == "POST", parts.count == 5, parts[2] == "invocation" {
                state.withLockedValue { $0.posted.append(Posted(requestId: parts[3], kind: parts[4], body: request.body)) }
                return .json(202, Data(#"{"status":"OK"}"#.utf8))
            }
            return .json(404, Data("{}".utf8))
        }
        return LambdaRuntimeStandIn(server: server, state: state)
    }
}
