import Foundation
import Logging
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

@Suite struct WebhookIngestTests {
    static let logger = Logger.quiet

    func handler(_ harness: RedisHarness, queue: String = "q-\(UUID().uuidString.prefix(8))", extra: [String: String] = [:]) throws -> WebhookIngestHandler {
        let env = harness.environment(queue: queue).merging(["GITHUB_WEBHOOK_SECRET": WebhookFixtures.secret], uniquingKeysWith: { $1 }).merging(
            extra, uniquingKeysWith: { $1 })
        return WebhookIngestHandler(config: try IngestConfig.load(EnvironmentReader(env)))
    }

    func deliver(_ handler: WebhookIngestHandler, event: String, body: Data, delivery: String = UUID().uuidString) async -> IngestResponse {
        await handler.ingest(WebhookRequest(headers: WebhookFixtures.headers(event: event, body: body, delivery: delivery), body: body), logger: Self.logger)
    }

    /// The routing table of docs/ARCHITECTURE.md, for every fixture payload.
    static func expected(_ event: String, _ file: String) -> (Int, IngestResponse.Status) {
        switch (event, file) {
        case ("ping", _): return (200, .pong)
        case ("pull_request", "ready_for_review.payload.json"), ("pull_request", "converted_to_draft.payload.json"): return (400, .rejected)
        case ("pull_request", let f) where ["opened", "reopened", "ready_for_review.with-installation", "synchronize"].contains { f.hasPrefix($0 + ".") }:
            return (202, .queued)
        case ("pull_request", "closed.payload.json"): return (202, .cancelled)
        default: return (202, .ignored)
        }
    }

    @Test func everyFixtureGetsItsRoutedResult() async throws {
        let fixtures = try WebhookFixtures.all()
        #expect(fixtures.count >= 39)
        try await RedisHarness.with { harness in
            for (event, file) in fixtures {
                let ingest = try handler(harness)
                let response = await deliver(ingest, event: event, body: try WebhookFixtures.payload(event, file))
                let (status, label) = Self.expected(event, file)
                #expect(response.statusCode == status, "\(event)/\(file): \(response)")
                #expect(response.status == label, "\(event)/\(file): \(response)")
                if label == .queued {
                    #expect(try await ingest.queue.stats(now: Date()).waiting == 1, "\(event)/\(file)")
                } else {
                    #expect(try await ingest.queue.stats(now: Date()).waiting == 0, "\(event)/\(file)")
                }
                if status == 400 { #expect(response.reason == "missing field installation.id") }
            }
        }
    }

    @Test func tamperedBodyOrSignatureIsRefused() async throws {
        try await RedisHarness.with { harness in
            let ingest = try handler(harness)
            let body = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            var headers = WebhookFixtures.headers(event: "pull_request", body: body)
            var tampered = body
            tampered[tampered.count / 2] ^= 0x01
            let forgedBody = await ingest.ingest(WebhookRequest(headers: headers, body: tampered), logger: Self.logger)
            #expect(forgedBody.statusCode == 401 && forgedBody.code == .badSignature)

            var signature = Array(headers["X-Hub-Signature-256"]!)
            signature[signature.count - 1] = signature.last == "0" ? "1" : "0"
            headers["X-Hub-Signature-256"] = String(signature)
            let forgedSignature = await ingest.ingest(WebhookRequest(headers: headers, body: body), logger: Self.logger)
            #expect(forgedSignature.statusCode == 401)

            headers["X-Hub-Signature-256"] = nil
            let unsigned = await ingest.ingest(WebhookRequest(headers: headers, body: body), logger: Self.logger)
            #expect(unsigned.statusCode == 401 && unsigned.reason == "missing X-Hub-Signature-256 header")

            headers["X-Hub-Signature-256"] = WebhookSignature.sign(body, secret: "another-secret")
            #expect(await ingest.ingest(WebhookRequest(headers: headers, body: body), logger: Self.logger).statusCode == 401)
            #expect(try await ingest.queue.stats(now: Date()).waiting == 0)
        }
    }

    @Test func previousSecretStillAcceptedDuringRotation() async throws {
        try await RedisHarness.with { harness in
            let ingest = try handler(harness, extra: ["GITHUB_WEBHOOK_SECRET": "new-secret", "GITHUB_WEBHOOK_SECRET_PREVIOUS": WebhookFixtures.secret])
            let body = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            #expect(await deliver(ingest, event: "pull_request", body: body).status == .queued)
        }
    }

    @Test func duplicatesEnqueueOneJob() async throws {
        try await RedisHarness.with { harness in
            let ingest = try handler(harness)
            let opened = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let first = await deliver(ingest, event: "pull_request", body: opened, delivery: "delivery-1")
            let redelivered = await deliver(ingest, event: "pull_request", body: opened, delivery: "delivery-1")
            let sameHead = await deliver(
                ingest, event: "pull_request", body: try WebhookFixtures.payload("pull_request", "reopened.payload.json"), delivery: "delivery-2")
            #expect(first.status == .queued)
            #expect(redelivered.status == .duplicate && redelivered.jobId == first.jobId)
            #expect(redelivered.reason == "delivery delivery-1 was already received")
            #expect(sameHead.status == .duplicate && sameHead.jobId == first.jobId)
            #expect(try await ingest.queue.stats(now: Date()).waiting == 1)
        }
    }

    @Test func newHeadSupersedesAndCloseCancels() async throws {
        try await RedisHarness.with { harness in
            let ingest = try handler(harness)
            let opened = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let first = await deliver(ingest, event: "pull_request", body: opened)
            let pushed = Data(
                String(decoding: opened, as: UTF8.self).replacingOccurrences(
                    of: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", with: String(repeating: "a", count: 40)
                ).utf8)
            let second = await deliver(ingest, event: "pull_request", body: pushed)
            #expect(second.status == .queued && second.reason == "supersedes \(first.jobId!)")
            #expect(try await ingest.queue.inspect(id: first.jobId!, now: Date())?.state == .superseded)
            #expect(try await ingest.queue.stats(now: Date()).waiting == 1)

            let closed = await deliver(ingest, event: "pull_request", body: try WebhookFixtures.payload("pull_request", "closed.payload.json"))
            #expect(closed.status == .cancelled && closed.jobId == second.jobId)
            #expect(try await ingest.queue.stats(now: Date()).waiting == 0)
            #expect(try await ingest.queue.inspect(id: second.jobId!, now: Date())?.state == .cancelled)

            // Reopening at the same head queues the cancelled job again.
            let reopened = await deliver(
                ingest, event: "pull_request",
                body: Data(
                    String(decoding: try WebhookFixtures.payload("pull_request", "reopened.payload.json"), as: UTF8.self).replacingOccurrences(
                        of: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", with: String(repeating: "a", count: 40)
                    ).utf8))
            #expect(reopened.status == .queued && reopened.jobId == second.jobId)
        }
    }

    @Test func installationDeletionDropsCachedToken() async throws {
        try await RedisHarness.with { harness in
            let ingest = try handler(harness)
            let key = InstallationTokenCache(queue: ingest.queue).key(2)
            _ = try await harness.client().send(["SET", key, "cached"])
            let response = await deliver(ingest, event: "installation", body: try WebhookFixtures.payload("installation", "deleted.payload.json"))
            #expect(response.statusCode == 202 && response.reason?.contains("token dropped") == true)
            #expect(try await harness.client().send(["EXISTS", key]) == .int(0))
        }
    }

    @Test func badInputGetsA4xxNamingTheProblem() async throws {
        try await RedisHarness.with { harness in
            let ingest = try handler(harness)
            let opened = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let text = String(decoding: opened, as: UTF8.self)
            let cases: [(String, Data, Int, String)] = [
                ("pull_request", opened.prefix(opened.count / 2), 400, "body is not valid JSON"),
                (
                    "pull_request", Data(text.replacingOccurrences(of: "\"number\": 2,", with: "\"number\": \"two\",").utf8), 400,
                    "field pull_request.number must be an integer, found string"
                ),
                (
                    "pull_request", Data(text.replacingOccurrences(of: "\"sha\": \"ec26c3e57ca3a959ca5aad62de7213c562f8c821\"", with: "\"shaa\": \"x\"").utf8),
                    400, "missing field pull_request.head.sha"
                ),
                ("pull_request", Data([0x7B, 0xFF, 0xFE, 0x7D]), 400, "body is not valid UTF-8"),
                ("pull_request", Data("[1,2]".utf8), 400, "body must be a JSON object"),
                ("no_such_event", Data("{}".utf8), 400, "unknown X-GitHub-Event 'no_such_event'"),
                ("pull_request", Data(count: 30 * 1024 * 1024), 413, "the limit is 26214400"),
            ]
            for (event, body, status, message) in cases {
                let response = await deliver(ingest, event: event, body: body)
                #expect(response.statusCode == status, "\(message): \(response)")
                #expect(response.reason?.contains(message) == true, "\(message): \(response.reason ?? "")")
            }
            var headers = WebhookFixtures.headers(event: "pull_request", body: opened)
            headers["X-GitHub-Event"] = nil
            let noEvent = await ingest.ingest(WebhookRequest(headers: headers, body: opened), logger: Self.logger)
            #expect(noEvent.statusCode == 400 && noEvent.reason == "missing X-GitHub-Event header")
            #expect(try await ingest.queue.stats(now: Date()).waiting == 0)
        }
    }

    @Test func queueOutageAnswers503AndAcknowledgesNothing() async throws {
        try await RedisHarness.with { harness in
            let ingest = try handler(harness, queue: "outage")
            await harness.stopRedis()
            let body = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let response = await deliver(ingest, event: "pull_request", body: body, delivery: "during-outage")
            #expect(response.statusCode == 503 && response.status == .unavailable)
            #expect(response.jobId == nil)
            try await harness.restartRedis()
            #expect(try await ingest.queue.stats(now: Date()).waiting == 0)
            // GitHub's redelivery of the same delivery is then queued.
            #expect(await deliver(ingest, event: "pull_request", body: body, delivery: "during-outage").status == .queued)

            var unreachable = harness.environment(queue: "outage")
            unreachable["UPSTASH_REDIS_REST_URL"] = "http://127.0.0.1:1"
            unreachable["GITHUB_WEBHOOK_SECRET"] = WebhookFixtures.secret
            let offline = WebhookIngestHandler(config: try IngestConfig.load(EnvironmentReader(unreachable)))
            #expect(await deliver(offline, event: "pull_request", body: body).statusCode == 503)
        }
    }

    @Test func threeEntryShapesGiveTheSameResult() async throws {
        try await RedisHarness.with { harness in
            let body = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let headers = WebhookFixtures.headers(event: "pull_request", body: body, delivery: "same-delivery")
            var results: [(Int, String, String?)] = []

            // 1. Raw HTTP POST in serve mode, over loopback.
            let served = try handler(harness)
            let server = try await HTTPServer.start(port: 0) { request in
                await FunctionRunner.route(request, handler: served, logger: Self.logger)
            }
            let url = URL(string: "http://127.0.0.1:\(server.port)/")!
            let http = try await AsyncHTTPClientTransport().send(HTTPRequest(method: "POST", url: url, headers: headers, body: body))
            let health = try await AsyncHTTPClientTransport().send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(server.port)/healthz")!))
            await server.stop()
            #expect(health.status == 200)
            let httpBody = try JSONDecoder().decode(IngestResponse.Wire.self, from: http.body)
            results.append((http.status, httpBody.status, httpBody.jobId))

            // 2. Function URL envelope, base64 body.
            let context = InvocationContext(logger: Self.logger)
            let envelope = try await handler(harness).handle(
                event: WebhookFixtures.functionURLEvent(headers: headers, body: body, base64: true), context: context)
            let fromEnvelope = try JSONDecoder().decode(FunctionURLResponse.self, from: envelope)
            let envelopeBody = try JSONDecoder().decode(IngestResponse.Wire.self, from: Data(fromEnvelope.body.utf8))
            results.append((fromEnvelope.statusCode, envelopeBody.status, envelopeBody.jobId))

            // 3. Delivery export: refused without the flag, accepted with it.
            let export = try WebhookFixtures.deliveryExport(headers: headers, body: body)
            let refused = try JSONDecoder().decode(FunctionURLResponse.self, from: try await handler(harness).handle(event: export, context: context))
            #expect(refused.statusCode == 401 && refused.body.contains("--skip-signature-check"))
            let replayContext = InvocationContext(flags: [WebhookIngestHandler.skipSignatureFlag], logger: Self.logger)
            let replayed = try JSONDecoder().decode(FunctionURLResponse.self, from: try await handler(harness).handle(event: export, context: replayContext))
            let replayBody = try JSONDecoder().decode(IngestResponse.Wire.self, from: Data(replayed.body.utf8))
            results.append((replayed.statusCode, replayBody.status, replayBody.jobId))

            #expect(results.count == 3)
            for result in results {
                #expect(result.0 == 202 && result.1 == "queued" && result.2 == results[0].2)
            }
        }
    }

    @Test func configurationErrorsNameEveryMissingVariable() {
        #expect(throws: ReviewError.badConfig("missing environment variables: GITHUB_WEBHOOK_SECRET, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN")) {
            try IngestConfig.load(EnvironmentReader([:]))
        }
        let config = try? IngestConfig.load(
            EnvironmentReader([
                "GITHUB_WEBHOOK_SECRET": "s3cr3t-value", "UPSTASH_REDIS_REST_URL": "http://x", "UPSTASH_REDIS_REST_TOKEN": "t0k3n-value",
            ]))
        #expect(config.map { !"\($0)".contains("s3cr3t-value") && !"\($0)".contains("t0k3n-value") } == true)
    }
}

extension IngestResponse {
    /// The response body as a client reads it.
    struct Wire: Decodable { let status: String; let jobId: String?; let reason: String?; let code: String? }
}
