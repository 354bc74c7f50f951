import CoreMetrics
import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing
import _CryptoExtras

/// The numbers an operator watches: Prometheus `/metrics` in serve mode, CloudWatch EMF lines on Lambda.
@Suite struct MetricsTests {
    /// `name{labels} value` lines of a Prometheus text answer, by `name{labels}`.
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = value
        }
        return out
    }

    static func get(_ port: Int, _ path: String, token: String? = nil) async throws -> HTTPResponse {
        try await AsyncHTTPClientTransport().send(
            HTTPRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: token.map { ["authorization": "Bearer \($0)"] } ?? [:], timeout: 30))
    }

    /// A fixture pull request through both served functions: ingest's deliveries and the queue,
    /// review-job's job, its duration and the model's tokens and cost.
    @Test func aReviewEndToEndShowsInBothFunctionsMetrics() async throws {
        let fixture = PullRequestFixture.named("ky-small-single-file-edit")
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            _ = app.job(for: fixture)
            let model = try await ModelStandIn.start([.quotingFirstAddedLine])
            let keyFile = harness.folder.appendingPathComponent("app.pem")
            try GitHubTestApp.key.pkcs8PEMRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
            var env = harness.environment(queue: "metrics")
            env.merge([
                "PATH": "/usr/bin:/bin", "HOST": "127.0.0.1", "GITHUB_WEBHOOK_SECRET": WebhookFixtures.secret, "GITHUB_APP_CLIENT_ID": GitHubTestApp.issuer,
                "GITHUB_APP_PRIVATE_KEY_FILE": keyFile.path, "GITHUB_API_URL": app.standIn.url.absoluteString, "LLM_PROVIDER": "openai",
                "LLM_BASE_URL": model.url.absoluteString + "/v1", "LLM_MODEL": "stand-in", "LLM_PRICE_INPUT_PER_MTOK": "3", "LLM_PRICE_OUTPUT_PER_MTOK": "15",
            ]) { $1 }
            let ingest = try await ServedProcess.start(try Tools.binary("webhook-ingest"), environment: env)
            let body = try WebhookFixtures.opened(for: fixture)
            let headers = WebhookFixtures.headers(event: "pull_request", body: body, delivery: "d-1")
            let transport = AsyncHTTPClientTransport()
            let url = URL(string: "http://127.0.0.1:\(ingest.port)/")!
            for headers in [headers, headers, WebhookFixtures.headers(event: "pull_request", body: body, delivery: "d-2", secret: "wrong")] {
                _ = try await transport.send(HTTPRequest(method: "POST", url: url, headers: headers, body: body, timeout: 30))
            }
            let ingestMetrics = Self.samples(String(decoding: try await Self.get(ingest.port, "/metrics").body, as: UTF8.self))
            await ingest.stop()

            let review = try await ServedProcess.start(try Tools.binary("review-job"), environment: env)
            let drained = try await transport.send(
                HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(review.port)/")!, body: Data(#"{"action":"drain"}"#.utf8), timeout: 120))
            let scrape = try await Self.get(review.port, "/metrics")
            let reviewMetrics = Self.samples(String(decoding: scrape.body, as: UTF8.self))
            await review.stop()
            await model.stop()
            await app.stop()

            #expect(ingestMetrics[#"pr_review_deliveries_total{result="queued"}"#] == 1, "\(ingestMetrics)")
            #expect(ingestMetrics[#"pr_review_deliveries_total{result="duplicate"}"#] == 1)
            #expect(ingestMetrics[#"pr_review_deliveries_total{result="rejected"}"#] == 1)
            #expect(ingestMetrics[#"pr_review_queue_jobs{state="waiting"}"#] == 1)
            #expect(drained.status == 200, "\(String(decoding: drained.body, as: UTF8.self))")
            #expect(scrape.header("content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(reviewMetrics[#"pr_review_jobs_total{outcome="completed"}"#] == 1, "\(reviewMetrics)")
            #expect(reviewMetrics[#"pr_review_job_duration_seconds_count{outcome="completed"}"#] == 1)
            let names = #"provider="openai-compatible",model="stand-in""#
            #expect(reviewMetrics[#"pr_review_model_tokens_total{\#(names),direction="input"}"#] == 1000, "\(reviewMetrics.keys.sorted())")
            #expect(reviewMetrics[#"pr_review_model_tokens_total{\#(names),direction="output"}"#] == 200)
            #expect(abs((reviewMetrics[#"pr_review_model_cost_usd_total{\#(names)}"#] ?? 0) - 0.006) < 1e-9)
            #expect(reviewMetrics[#"pr_review_queue_jobs{state="completed"}"#] == 1 && reviewMetrics[#"pr_review_queue_jobs{state="waiting"}"#] == 0)
        }
    }

    @Test func metricsNeedTheTokenOffLoopback() async throws {
        let env = [
            "PATH": "/usr/bin:/bin", "GITHUB_WEBHOOK_SECRET": "s", "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:1", "UPSTASH_REDIS_REST_TOKEN": "t",
            "HOST": "0.0.0.0",
        ]
        let open = try await ServedProcess.start(try Tools.binary("webhook-ingest"), environment: env)
        let refused = try await Self.get(open.port, "/metrics")
        await open.stop()
        let guarded = try await ServedProcess.start(try Tools.binary("webhook-ingest"), environment: env.merging(["METRICS_TOKEN": "m-token"]) { $1 })
        let without = try await Self.get(guarded.port, "/metrics")
        let wrong = try await Self.get(guarded.port, "/metrics", token: "nope")
        let with = try await Self.get(guarded.port, "/metrics", token: "m-token")
        await guarded.stop()
        // The refusal says it is about where the server listens, and what to do.
        #expect(
            refused.status == 401 && String(decoding: refused.body, as: UTF8.self).contains("listens on 0.0.0.0, beyond this machine"),
            "\(String(decoding: refused.body, as: UTF8.self))")
        #expect(without.status == 401 && wrong.status == 401 && with.status == 200)
    }

    @Test func emfLinesAreWhatCloudWatchReads() throws {
        let factory = EMFMetricsFactory(function: "review-job")
        factory.makeCounter(label: "pr_review_jobs_total", dimensions: [("outcome", "completed")]).increment(by: 2)
        factory.makeRecorder(label: "pr_review_queue_jobs", dimensions: [("state", "waiting")], aggregate: false).record(Int64(3))
        factory.makeTimer(label: "pr_review_job_duration_seconds", dimensions: []).recordNanoseconds(1_500_000_000)
        let lines = factory.flush(at: Date(timeIntervalSince1970: 1_700_000_000))
        let documents = try lines.map { try JSONValue.parse(Data($0.utf8)) }
        #expect(documents.count == 3)
        let jobs = try #require(documents.first { $0["pr_review_jobs_total"] != nil })
        #expect(jobs["pr_review_jobs_total"] == .number(2) && jobs["outcome"] == .string("completed") && jobs["function"] == .string("review-job"))
        #expect(jobs["_aws"]?["Timestamp"] == .number(1_700_000_000_000))
        guard case .array(let directives)? = jobs["_aws"]?["CloudWatchMetrics"], let directive = directives.first else {
            Issue.record("no CloudWatchMetrics directive")
            return
        }
        #expect(directive["Namespace"] == .string("pr-review"))
        #expect(directive["Dimensions"] == .array([.array([.string("function"), .string("outcome")])]))
        #expect(directive["Metrics"] == .array([.object(["Name": .string("pr_review_jobs_total"), "Unit": .string("Count")])]))
        let timer = try #require(documents.first { $0["pr_review_job_duration_seconds"] != nil })
        #expect(timer["pr_review_job_duration_seconds"] == .array([.number(1500)]))
        // A second flush: counters report what they gained since (nothing, so no line); gauges are kept.
        #expect(factory.flush().isEmpty)
        factory.makeRecorder(label: "pr_review_queue_jobs", dimensions: [("state", "waiting")], aggregate: false).record(Int64(0))
        let again = try factory.flush().map { try JSONValue.parse(Data($0.utf8)) }
        #expect(again.count == 1 && again.first?["pr_review_queue_jobs"] == .number(0))
    }
}
