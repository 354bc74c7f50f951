import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing
import _CryptoExtras

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

    /// LOG_LEVEL=debug: one line per call to another service, naming it without its secrets.
    @Test func debugLogsEachExternalCall() async throws {
        try await RedisHarness.with { harness in
            let body = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let event = WebhookFixtures.functionURLEvent(headers: WebhookFixtures.headers(event: "pull_request", body: body), body: body)
            var env = environment(harness)
            env["LOG_LEVEL"] = "debug"
            let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: event, environment: env)
            #expect(run.exitCode == 0, "\(run.stderrText)")
            let calls = run.stderrText.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.filter {
                $0["msg"] == .string("external call")
            }
            #expect(!calls.isEmpty, "\(run.stderrText)")
            #expect(
                calls.allSatisfy { $0["method"] == .string("POST") && $0["host"] == .string("127.0.0.1") && $0["status"] != nil && $0["ms"] != nil }, "\(calls)"
            )
            #expect(calls.contains { $0["status"] == .string("200") }, "\(calls)")
            #expect(!run.stderrText.contains(harness.token) && !run.stderrText.contains(WebhookFixtures.secret))
            env["LOG_LEVEL"] = "info"
            let quiet = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: event, environment: env)
            #expect(!quiet.stderrText.contains("external call"))
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
            // The first response post meets a Runtime API hiccup (500): the loop tries once more.
            let runtime = try await LambdaRuntimeAPIStandIn.start(events: [event, Data("not json".utf8)], failResponses: 1)
            var env = environment(harness)
            env["AWS_LAMBDA_RUNTIME_API"] = runtime.address
            let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), environment: env)
            await runtime.stop()
            #expect(run.exitCode == 0, "\(run.stderrText)")
            let posted = runtime.posted
            #expect(posted.map(\.kind) == ["response", "response", "error"], "\(run.stderrText)")
            #expect(posted.map(\.status) == [500, 202, 202])
            #expect(posted.allSatisfy { $0.contentType == "application/json" })
            let response = try JSONDecoder().decode(FunctionURLResponse.self, from: posted[1].body)
            #expect(posted[1].requestId == "request-1" && response.statusCode == 200 && response.body.contains("pong"))
            // The error path: Lambda's Category.Reason error type, in the header and the document.
            #expect(posted[2].requestId == "request-2" && posted[2].errorType == "Function.BadInput")
            let document = try JSONValue.parse(posted[2].body)
            #expect(document["errorType"] == .string("Function.BadInput") && document["errorMessage"]?.stringValue?.contains("not valid JSON") == true)
            // Every log line of an invocation names its request and trace; the failure is logged with both.
            let lines = run.stderrText.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
            let failure = lines.first { $0["msg"]?.stringValue?.hasPrefix("invocation failed") == true }
            #expect(
                failure?["requestId"] == .string("request-2") && failure?["traceId"]?.stringValue?.hasPrefix("Root=1-5bef4de7") == true, "\(run.stderrText)")
            #expect(lines.contains { $0["msg"]?.stringValue?.contains("refused the response (500)") == true && $0["requestId"] == .string("request-1") })
        }
    }

    /// Nothing listens at the Runtime API (port 9): the loop's first call fails at once and the process
    /// ends, naming the failure, instead of retrying the connection for the call's day-long deadline.
    @Test func aRuntimeAPIThatIsGoneEndsTheProcessAtOnce() async throws {
        let process = try ChildProcess.spawn(
            try Tools.binary("webhook-ingest").path,
            environment: [
                "PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9", "GITHUB_WEBHOOK_SECRET": "s",
                "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:9", "UPSTASH_REDIS_REST_TOKEN": "t",
            ], stderr: .pipe)
        // A watchdog, not a timing assertion: should the loop wait after all, the test fails instead of hanging.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            process.send(SIGKILL)
        }
        let errors = try await onOwnThread { process.stderr?.readDataToEndOfFile() ?? Data() }
        _ = try await onOwnThread { process.wait() }
        watchdog.cancel()
        #expect(!process.endedBySignal, "the loop kept waiting for a Runtime API that is gone")
        #expect(String(decoding: errors, as: UTF8.self).contains("Lambda Runtime API unreachable"))
    }

    @Test func aFunctionThatCannotStartReportsAnInitError() async throws {
        let runtime = try await LambdaRuntimeAPIStandIn.start(events: [])
        let run = try await ProcessRun.run(
            try Tools.binary("webhook-ingest"), environment: ["PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": runtime.address])
        await runtime.stop()
        #expect(run.exitCode == 2)
        let posted = runtime.posted
        #expect(posted.count == 1 && posted.first?.kind == "init/error" && posted.first?.errorType == "Runtime.BadConfig", "\(run.stderrText)")
        let document = try JSONValue.parse(posted.first?.body ?? Data())
        #expect(document["errorMessage"]?.stringValue?.contains("GITHUB_WEBHOOK_SECRET") == true && posted.first?.contentType == "application/json")
    }

    @Test func reviewJobDrainsUnderTheRuntimeAPIAndAnOversizedAnswerIsLogged() async throws {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let keyFile = harness.folder.appendingPathComponent("app.pem")
            try GitHubTestApp.key.pkcs8PEMRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
            var env = harness.environment(queue: "runtime-api")
            env.merge([
                "PATH": "/usr/bin:/bin", "GITHUB_APP_CLIENT_ID": GitHubTestApp.issuer, "GITHUB_APP_PRIVATE_KEY_FILE": keyFile.path,
                "GITHUB_API_URL": app.standIn.url.absoluteString,
            ]) { $1 }
            // Two drains of an empty queue; the second answer meets a 10-byte payload limit.
            let drain = Data(#"{"action":"drain"}"#.utf8)
            let runtime = try await LambdaRuntimeAPIStandIn.start(events: [drain], maxResponseBytes: 10_000)
            env["AWS_LAMBDA_RUNTIME_API"] = runtime.address
            let run = try await ProcessRun.run(try Tools.binary("review-job"), environment: env)
            let small = try await LambdaRuntimeAPIStandIn.start(events: [drain], maxResponseBytes: 10)
            env["AWS_LAMBDA_RUNTIME_API"] = small.address
            let oversized = try await ProcessRun.run(try Tools.binary("review-job"), environment: env)
            await runtime.stop()
            await small.stop()
            await app.stop()
            #expect(run.exitCode == 0 && oversized.exitCode == 0, "\(run.stderrText)\(oversized.stderrText)")
            #expect(runtime.posted.map(\.kind) == ["response"] && runtime.posted.first?.status == 202, "\(run.stderrText)")
            let report = try ReviewJob.decoder.decode(DrainReport.self, from: runtime.posted.first?.body ?? Data())
            #expect(report.jobs.isEmpty)
            // Metrics as CloudWatch Embedded Metric Format lines on stdout: the drain's look at the queue.
            let emf = run.stdoutText.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }.filter { $0["_aws"] != nil }
            let waiting = emf.first { $0["pr_review_queue_jobs"] != nil && $0["state"] == .string("waiting") }
            #expect(waiting?["pr_review_queue_jobs"] == .number(0) && waiting?["function"] == .string("review-job"), "\(run.stdoutText)")
            #expect(small.posted.map(\.status) == [413], "a refusal below 500 is not retried")
            #expect(oversized.stderrText.contains("refused the response (413)"), "\(oversized.stderrText)")
        }
    }
}
