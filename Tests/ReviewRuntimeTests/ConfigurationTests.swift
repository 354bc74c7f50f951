import Foundation
import Logging
import NIOConcurrencyHelpers
import ReviewCore
import ReviewTesting
import Testing

@testable import ReviewRuntime

/// Settings that cannot work are refused when the function starts, naming the variable — not
/// discovered pull request by pull request.
@Suite struct ConfigurationTests {
    static let base = ["UPSTASH_REDIS_REST_URL": "http://127.0.0.1:9", "UPSTASH_REDIS_REST_TOKEN": "t", "REVIEW_RECORD_URL": "http://127.0.0.1:9/r"]

    func load(_ extra: [String: String]) throws -> ReviewJobConfig { try ReviewJobConfig.load(EnvironmentReader(Self.base.merging(extra) { $1 })) }

    @Test func aHostedModelWithoutItsKeyIsRefusedAtStart() throws {
        for extra in [
            ["LLM_PROVIDER": "openai"], ["LLM_PROVIDER": "anthropic"],
            ["LLM_PROVIDER": "openai", "LLM_BASE_URL": "https://api.groq.com/openai/v1"],
            ["LLM_PROVIDER": "anthropic", "LLM_BASE_URL": "http://127.0.0.1:8080"],
        ] {
            #expect("\(extra)", performing: { try load(extra) }, throws: { ($0 as? ReviewError)?.message.contains("LLM_API_KEY is required") == true })
        }
        // With its key, or a local server (plain http, or loopback), it starts.
        #expect(try load(["LLM_PROVIDER": "openai", "LLM_API_KEY": "sk-x"]).llm.isHosted)
        #expect(try !load(["LLM_PROVIDER": "openai", "LLM_BASE_URL": "http://llama:8080/v1"]).llm.isHosted)
        #expect(try !load(["LLM_PROVIDER": "openai", "LLM_BASE_URL": "https://127.0.0.1:8443/v1"]).llm.isHosted)
        #expect(try load([:]).llm.provider == .rules)
    }

    /// Serve mode's own variables go through the same reader: a bad one is named at start with the rest.
    @Test func badServeSettingsAreNamedTogetherAtStart() async throws {
        let env = [
            "PATH": "/usr/bin:/bin", "GITHUB_WEBHOOK_SECRET": "s", "UPSTASH_REDIS_REST_URL": "http://127.0.0.1:9", "UPSTASH_REDIS_REST_TOKEN": "t",
            "PORT": "eighty", "LOG_LEVEL": "loud", "SHUTDOWN_GRACE_SECONDS": "-1",
        ]
        let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), arguments: ["serve"], environment: env)
        #expect(run.exitCode == 2)
        for problem in [
            "PORT must be an integer in 0...65535", "LOG_LEVEL must be one of trace, debug, info", "SHUTDOWN_GRACE_SECONDS must be a number of seconds",
        ] {
            #expect(run.stderrText.contains(problem), "\(problem): \(run.stderrText)")
        }
    }

    /// Secrets mounted as files (Docker, Kubernetes, OpenFaaS): `NAME_FILE` names the file.
    @Test func anyVariableMayBeGivenAsAFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let secret = folder.appendingPathComponent("webhook-secret")
        try Data("from-a-file\n".utf8).write(to: secret)
        let huge = folder.appendingPathComponent("huge")
        try Data(repeating: 65, count: EnvironmentReader.maxFileBytes + 1).write(to: huge)

        let reader = EnvironmentReader(["GITHUB_WEBHOOK_SECRET_FILE": secret.path, "QUEUE_NAME": "given", "QUEUE_NAME_FILE": secret.path])
        #expect(reader.required("GITHUB_WEBHOOK_SECRET") == "from-a-file")  // one trailing line break dropped
        #expect(reader.optional("QUEUE_NAME") == "given")  // the variable itself wins
        try reader.validate()

        let broken = EnvironmentReader(["GITHUB_WEBHOOK_SECRET_FILE": folder.appendingPathComponent("absent").path, "LLM_API_KEY_FILE": huge.path])
        _ = broken.required("GITHUB_WEBHOOK_SECRET")
        #expect(broken.optional("LLM_API_KEY") == nil)
        #expect(throws: ReviewError.self) { try broken.validate() }
        do {
            try broken.validate()
        } catch {
            #expect(error.message.contains("GITHUB_WEBHOOK_SECRET_FILE must name a readable UTF-8 file"))
            #expect(error.message.contains("LLM_API_KEY_FILE must name a readable UTF-8 file of at most 1 MiB"))
            #expect(!error.message.contains("missing environment variables: GITHUB_WEBHOOK_SECRET"))
        }
    }
}

/// The README's table and each function's `env.example` name every variable `--help` lists (the
/// one list, itself checked against the code by `theEnvironmentListIsTheCodes`).
@Suite struct EnvironmentDocsTests {
    @Test func everyVariableIsInTheReadmeAndTheExamples() throws {
        let root = Tools.packageRoot
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let missing = EnvironmentHelp.all.filter { !readme.contains("`\($0.name)`") && !readme.contains("`\($0.name)=") }.map(\.name)
        #expect(missing.isEmpty, "not in the README: \(missing)")
        for (folder, reader) in [("webhook-ingest", EnvironmentHelp.Reader.ingest), ("review-job", .reviewJob)] {
            let example = try String(contentsOf: root.appendingPathComponent("functions/\(folder)/env.example"), encoding: .utf8)
            let named = Set(example.split(separator: "\n").compactMap { line in line.split(separator: "=", maxSplits: 1).first.map(String.init) })
            let absent = EnvironmentHelp.all.filter { $0.readers.contains(reader) && !named.contains($0.name) }.map(\.name)
            #expect(absent.isEmpty, "not in functions/\(folder)/env.example: \(absent)")
        }
    }
}

/// What an operator must act on is logged above info: a refused signature, a delivery the queue
/// could not take, a job that failed for good.
@Suite struct OperationalLogLevelTests {
    @Test func failuresAreWarningsAndErrors() async throws {
        try await RedisHarness.with { harness in
            let lines = NIOLockedValueBox<[String]>([])
            let logger = Logger(label: "levels") { _ in CapturingLogHandler(lines: lines) }
            let env = harness.environment().merging(["GITHUB_WEBHOOK_SECRET": WebhookFixtures.secret]) { $1 }
            let handler = WebhookIngestHandler(config: try IngestConfig.load(EnvironmentReader(env)))
            let body = try WebhookFixtures.opened(for: .named("ky-small-single-file-edit"))
            var headers = WebhookFixtures.headers(event: "pull_request", body: body, delivery: "levels-1")
            headers["X-Hub-Signature-256"] = "sha256=" + String(repeating: "0", count: 64)
            _ = await handler.ingest(WebhookRequest(headers: headers, body: body), logger: logger)
            _ = await handler.ingest(
                WebhookRequest(headers: WebhookFixtures.headers(event: "pull_request", body: body, delivery: "levels-2"), body: body), logger: logger)
            await harness.stopRedis()
            _ = await handler.ingest(
                WebhookRequest(headers: WebhookFixtures.headers(event: "pull_request", body: body, delivery: "levels-3"), body: body), logger: logger)
            try await harness.restartRedis()
            let logged = lines.withLockedValue { $0 }
            #expect(logged.count == 3)
            #expect(logged[0].hasPrefix("warning delivery"), "\(logged[0])")
            #expect(logged[1].hasPrefix("info delivery queued"), "\(logged[1])")
            #expect(logged[2].hasPrefix("error delivery"), "\(logged[2])")
        }
    }
}
