import Foundation
import Logging
import NIOConcurrencyHelpers
import RedisBridge
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

@Suite struct DrainKickTests {
    static let credentials = AWSCredentials(
        accessKeyId: "AKIDKICKTEST", secretAccessKey: "kick-secret-access-key-0123456789", sessionToken: "kick-session-token-abcdef")
    static let region = "eu-west-1"
    static let vectorDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    @Test func sigV4MatchesAWSsPostVanillaVector() {
        let signer = AWSSigV4(
            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), region: "us-east-1",
            service: "service")
        let signed = signer.sign(HTTPRequest(method: "POST", url: URL(string: "https://example.amazonaws.com/")!), at: Self.vectorDate)
        #expect(
            signed.header("authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        )
        #expect(signed.header("x-amz-date") == "20150830T123600Z")
    }

    @Test(
        .enabled(if: RedisRESTBridgeTests.python != nil, "needs the venv with botocore: run make test"),
        arguments: [
            "review-job", "arn:aws:lambda:eu-west-1:123456789012:function:review-job",
        ])
    func sigV4AgreesWithBotocore(function: String) async throws {
        let kick = DrainKick(
            target: .lambda(
                function: function, endpoint: URL(string: "https://lambda.eu-west-1.amazonaws.com")!,
                signer: AWSSigV4(credentials: Self.credentials, region: Self.region, service: "lambda")),
            transport: AsyncHTTPClientTransport(), clock: WallClock(now: { Self.vectorDate }, sleep: { _ in })
        )
        let request = try #require(kick.request())
        let spec: JSONValue = .object([
            "method": .string(request.method), "url": .string(request.url.absoluteString), "body": .string(String(decoding: request.body, as: UTF8.self)),
            "headers": .object(["content-type": .string("application/json"), "x-amz-invocation-type": .string("Event")]),
            "date": .string("20150830T123600Z"), "access_key": .string(Self.credentials.accessKeyId), "secret_key": .string(Self.credentials.secretAccessKey),
            "token": .string(Self.credentials.sessionToken!), "region": .string(Self.region), "service": .string("lambda"),
        ])
        let script = Tools.packageRoot.appendingPathComponent("scripts/aws_sigv4_check.py").path
        let run = try await ProcessRun.run(
            URL(fileURLWithPath: RedisRESTBridgeTests.python!), arguments: [script], stdin: try JSONEncoder.iso.encode(spec),
            environment: ProcessInfo.processInfo.environment)
        #expect(run.exitCode == 0, "\(run.stderrText)")
        #expect(run.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == request.header("authorization"))
        #expect(request.url.absoluteString.hasSuffix("/2015-03-31/functions/" + function.replacingOccurrences(of: ":", with: "%3A") + "/invocations"))
    }

    func ingest(_ harness: RedisHarness, kick: [String: String]) throws -> WebhookIngestHandler {
        let env = harness.environment().merging(["GITHUB_WEBHOOK_SECRET": WebhookFixtures.secret]) { $1 }.merging(kick) { $1 }
        return WebhookIngestHandler(config: try IngestConfig.load(EnvironmentReader(env)))
    }

    func lambdaKick(_ standIn: LambdaStandIn, secret: String = credentials.secretAccessKey) -> [String: String] {
        [
            "REVIEW_JOB_KICK": "lambda:review-job", "AWS_REGION": Self.region, "AWS_ENDPOINT_URL_LAMBDA": standIn.url.absoluteString,
            "AWS_ACCESS_KEY_ID": Self.credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": Self.credentials.sessionToken!,
            "REVIEW_JOB_KICK_TIMEOUT_SECONDS": "30",
        ]
    }

    func deliver(_ handler: WebhookIngestHandler, _ body: Data, delivery: String, logger: Logger = .quiet) async -> IngestResponse {
        await handler.ingest(
            WebhookRequest(headers: WebhookFixtures.headers(event: "pull_request", body: body, delivery: delivery), body: body), logger: logger)
    }

    @Test func queuedJobKicksOneAsynchronousLambdaInvoke() async throws {
        try await RedisHarness.with { harness in
            let standIn = try await LambdaStandIn.start(functions: ["review-job"], credentials: Self.credentials, region: Self.region)
            let handler = try ingest(harness, kick: lambdaKick(standIn))
            let body = try WebhookFixtures.opened(for: .named("ky-small-single-file-edit"))
            let first = await deliver(handler, body, delivery: "kick-1")
            let again = await deliver(handler, body, delivery: "kick-1")
            let invocations = standIn.invocations
            await standIn.stop()
            #expect(first.status == .queued && first.drain == "sent")
            #expect(String(decoding: first.jsonBody, as: UTF8.self).contains(#""drain":"sent""#))
            #expect(again.status == .duplicate && again.drain == nil, "a duplicate needs no drain")
            #expect(invocations == [.init(function: "review-job", type: "Event", payload: DrainKick.event)])
        }
    }

    @Test func failedKickStillQueuesAndNamesWhyWithoutTheSecret() async throws {
        try await RedisHarness.with { harness in
            let standIn = try await LambdaStandIn.start(functions: ["review-job"], credentials: Self.credentials, region: Self.region)
            let wrongSecret = "wrong-secret-access-key-987654321"
            let handler = try ingest(harness, kick: lambdaKick(standIn, secret: wrongSecret))
            let lines = NIOLockedValueBox<[String]>([])
            let logger = Logger(label: "kick") { _ in CapturingLogHandler(lines: lines) }
            let refused = await deliver(handler, try WebhookFixtures.opened(for: .named("ky-small-single-file-edit")), delivery: "kick-2", logger: logger)
            await standIn.stop()
            let unreachable = await deliver(handler, try WebhookFixtures.opened(for: .named("cobra-binary-image-added")), delivery: "kick-3", logger: logger)
            #expect(
                refused.status == .queued && refused.drain?.hasPrefix("failed: HTTP 403 The request signature we calculated does not match") == true,
                "\(refused.drain ?? "")")
            #expect(unreachable.status == .queued && unreachable.drain?.hasPrefix("failed:") == true)
            #expect(standIn.invocations.isEmpty)
            let queue = RedisJobQueue(redis: harness.client(), settings: handler.queue.settings)
            #expect(try await queue.stats(now: Date()).waiting == 2)
            let text = lines.withLockedValue { $0.joined(separator: "\n") } + String(decoding: refused.jsonBody, as: UTF8.self)
            #expect(text.contains("drain kick failed"))
            #expect(!text.contains(wrongSecret) && !text.contains(Self.credentials.sessionToken!))
        }
    }

    @Test func theLambdaStandInRefusesWhatLambdaRefuses() async throws {
        let standIn = try await LambdaStandIn.start(functions: ["review-job"], credentials: Self.credentials, region: Self.region)
        func kick(_ function: String, clock: Date = Date(), region: String = Self.region) async -> String {
            let signer = AWSSigV4(credentials: Self.credentials, region: region, service: "lambda")
            // A long timeout: a loaded CI machine is slow, not wrong.
            let kick = DrainKick(
                target: .lambda(function: function, endpoint: standIn.url, signer: signer), timeout: 30, transport: AsyncHTTPClientTransport(),
                clock: WallClock(now: { clock }, sleep: { _ in }))
            return await kick.send(logger: .quiet)
        }
        let expired = await kick("review-job", clock: Date().addingTimeInterval(-600))
        let unknown = await kick("other-function")
        let wrongRegion = await kick("review-job", region: "us-east-1")
        let byArn = await kick("arn:aws:lambda:eu-west-1:123456789012:function:review-job")
        await standIn.stop()
        #expect(expired.hasPrefix("failed: HTTP 403 Signature expired"), "\(expired)")
        #expect(unknown.hasPrefix("failed: HTTP 404 Function not found: other-function"), "\(unknown)")
        #expect(wrongRegion.hasPrefix("failed: HTTP 403 Credential should be scoped to a valid region"), "\(wrongRegion)")
        #expect(byArn == "sent")
        #expect(standIn.invocations.count == 1)
    }

    @Test func httpKickPostsTheDrainEventWithItsToken() async throws {
        try await RedisHarness.with { harness in
            let received = NIOLockedValueBox<[HTTPRequest]>([])
            let endpoint = try await HTTPServer.start(port: 0) { request in
                received.withLockedValue { $0.append(request) }
                return .json(202, Data(#"{"status":"accepted"}"#.utf8))
            }
            let url = "http://127.0.0.1:\(endpoint.port)/async-function/review-job"
            let handler = try ingest(
                harness, kick: ["REVIEW_JOB_KICK": url, "REVIEW_JOB_KICK_TOKEN": "kick-bearer-token", "REVIEW_JOB_KICK_TIMEOUT_SECONDS": "30"])
            let response = await deliver(handler, try WebhookFixtures.opened(for: .named("ky-small-single-file-edit")), delivery: "kick-4")
            await endpoint.stop()
            let requests = received.withLockedValue { $0 }
            #expect(response.drain == "sent")
            #expect(requests.count == 1 && requests[0].url.path == "/async-function/review-job" && requests[0].method == "POST")
            #expect(requests.first?.header("authorization") == "Bearer kick-bearer-token" && requests.first?.body == DrainKick.event)
        }
    }

    @Test func badKickSettingsAreNamed() {
        for (env, problem) in [
            (["REVIEW_JOB_KICK": "ftp://x"], "REVIEW_JOB_KICK must be lambda:FUNCTION, an http(s) URL or cloudtasks:"),
            (["REVIEW_JOB_KICK": "lambda:review-job"], "AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"),
        ] {
            let all = env.merging(["GITHUB_WEBHOOK_SECRET": "s", "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:1", "UPSTASH_REDIS_REST_TOKEN": "t"]) { $1 }
            #expect(throws: ReviewError.self) { try IngestConfig.load(EnvironmentReader(all)) }
            do { _ = try IngestConfig.load(EnvironmentReader(all)) } catch { #expect(error.message.contains(problem), "\(error.message)") }
        }
    }
}

/// Collects log lines (message and metadata) for assertions.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(all)") }
    }
}

@Suite struct ReviewJobInvokeTokenTests {
    @Test func serveModeRequiresTheKickTokenWhenOneIsSet() async throws {
        try await RedisHarness.with { harness in
            let env = harness.environment().merging(["REVIEW_RECORD_URL": "http://127.0.0.1:9/record", "REVIEW_JOB_KICK_TOKEN": "job-invoke-token"]) { $1 }
            let handler = ReviewJobHandler(config: try ReviewJobConfig.load(EnvironmentReader(env)), processor: ScriptedProcessor { _, _ in Data() })
            let context = InvocationContext(logger: .quiet)
            func post(_ authorization: String?) async -> Int {
                let headers = authorization.map { ["authorization": $0] } ?? [:]
                return await handler.handle(
                    http: HTTPRequest(method: "POST", url: URL(string: "http://localhost/")!, headers: headers, body: DrainKick.event), context: context
                ).status
            }
            #expect(await post(nil) == 401)
            #expect(await post("Bearer job-invoke-tokeN") == 401)
            #expect(await post("job-invoke-token") == 401)
            #expect(await post("Bearer job-invoke-token") == 200)
            #expect(!handler.config.description.contains("job-invoke-token") && handler.secretValues.contains("job-invoke-token"))
        }
    }
}

/// Serve mode: a drain request that arrives while a drain runs joins it, so the process never runs
/// more than `DRAIN_CONCURRENCY` jobs, and the running drain takes what was queued meanwhile.
@Suite struct DrainJoiningTests {
    @Test func aSecondDrainJoinsTheFirstAndNoMoreThanTheConcurrencyRuns() async throws {
        try await RedisHarness.with { harness in
            let env = harness.environment().merging([
                "REVIEW_RECORD_URL": "http://127.0.0.1:9/record", "DRAIN_CONCURRENCY": "2", "DRAIN_MAX_SECONDS": "3600", "QUEUE_LEASE_SECONDS": "1000",
            ]) {
                $1
            }
            // The lease outlasts the clock's 100 s steps: a step taken between a claim and its job's
            // first heartbeat would otherwise expire the lease of a job still running.
            let clock = ManualClock()
            let running = NIOLockedValueBox((now: 0, most: 0, done: 0))
            // Each job takes 100 s of the test's clock.
            let processor = ScriptedProcessor { _, _ in
                running.withLockedValue {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                }
                try await clock.wallClock.sleep(100)
                running.withLockedValue {
                    $0.now -= 1
                    $0.done += 1
                }
                return Data("{}".utf8)
            }
            let config = try ReviewJobConfig.load(EnvironmentReader(env))
            let handler = ReviewJobHandler(config: config, processor: processor, clock: clock.wallClock)
            for pr in 1...4 { _ = try await handler.drainer.queue.enqueue(SampleJobs.job(pr: pr), now: clock.now) }
            let drain = Data(#"{"action":"drain"}"#.utf8)
            let first = Task { try await handler.handle(event: drain, context: InvocationContext(logger: .quiet)) }
            _ = await clock.sleeper { $0 >= 100 }
            // A kick while the first drain runs: answered at once, joined.
            let second = try JSONDecoder.iso.decode(
                DrainReport.self, from: try await handler.handle(event: drain, context: InvocationContext(logger: .quiet)))
            #expect(second.stoppedBecause == .joined && second.jobs.isEmpty)
            for pr in 5...6 { _ = try await handler.drainer.queue.enqueue(SampleJobs.job(pr: pr), now: clock.now) }
            // Move the clock past every job until the first drain ends.
            let driver = Task {
                while !Task.isCancelled {
                    let wait = await clock.sleeper { $0 >= 100 }
                    if Task.isCancelled { break }
                    clock.advance(by: wait)
                }
            }
            let report = try JSONDecoder.iso.decode(DrainReport.self, from: try await first.value)
            driver.cancel()
            let stopper = Task { try? await clock.wallClock.sleep(1_000_000) }
            await driver.value
            stopper.cancel()
            #expect(
                report.jobs.count == 6 && report.jobs.allSatisfy { $0.outcome == .completed },
                "\(report.jobs.map { ($0.jobId.suffix(6), $0.outcome, $0.attempt, $0.durationMs) })")
            #expect(running.withLockedValue { $0.most } == 2 && running.withLockedValue { $0.done } == 6)
        }
    }
}
