import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// Every documented deploy path, followed as written: the READMEs' shell steps set each variable
/// before they use it, and each function starts with exactly the environment its manifest or
/// template gives it — secrets filled in from what the documented steps put in each platform's
/// secret store, out of the `pr-review.env` that steps 1 and 2 write — and serves. Beside the
/// files' environment, a function gets only what its platform provides (`PORT`, Lambda's `AWS_*`)
/// and where this machine's stand-ins for GitHub, Cloud Tasks and AWS listen — and a Redis timeout
/// for two loaded cores (`loadedMachine`): these tests assert outcomes, not speed.
@Suite struct DeployPathTests {
    static let loadedMachine = ["REDIS_REST_TIMEOUT_SECONDS": "120"]
    static let root = Tools.packageRoot
    static let slug = "acme-review-bot"  // not the default: a slug that does not reach a function shows

    static func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The names `reviewctl app create` writes to `pr-review.env`.
    static func appEnvFile() throws -> String {
        let credentials = try JSONDecoder().decode(
            AppManifestFlow.Credentials.self,
            from: JSONSerialization.data(withJSONObject: [
                "id": 1234, "slug": slug, "client_id": GitHubTestApp.issuer, "webhook_secret": WebhookFixtures.secret, "pem": GitHubTestApp.keyPEM,
            ]))
        return AppManifestFlow.envFile(credentials)
    }

    // MARK: - The shell steps

    @Test func everyShellStepSetsItsVariablesBeforeUsingThem() throws {
        let names = Set(try Self.appEnvFile().split(separator: "\n").compactMap { ShellStepLint.assignedName(String($0)) })
        #expect(names.isSuperset(of: ["GITHUB_APP_CLIENT_ID", "GITHUB_APP_SLUG", "GITHUB_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY"]))
        for document in ["README.md", "infra/README.md"] {
            let findings = ShellStepLint.check(markdown: try Self.read(document), envFileNames: names)
            #expect(findings.isEmpty, "\(document): \(findings.map(\.description).joined(separator: "\n"))")
        }
    }

    /// The lint itself finds what it is for (else an empty list above would prove nothing).
    @Test func theShellLintFindsAVariableUsedBeforeItIsSet() {
        let markdown = """
            ## 1. Make the file
            ```sh
            cat >>pr-review.env <<'END'
            UPSTASH_REDIS_REST_URL=https://example.upstash.io
            END
            ```
            ## 2. Use it
            ```sh
            aws ssm put-parameter --value "$GITHUB_APP_CLIENT_ID"
            set -a; . ./pr-review.env; set +a
            echo "$UPSTASH_REDIS_REST_URL $GITHUB_APP_CLIENT_ID ${OPTIONAL:-none} $KICK_TOKEN" '$QUOTED'
            PROJECT=p REGION=r
            X=1 run "$X"; echo "$X $PROJECT $REGION"
            for fn in a b; do echo $fn; done
            jq -n --arg w "$(printf %s "$REGION")" '{A:$w}'
            ```
            """
        let findings = ShellStepLint.check(markdown: markdown, envFileNames: ["GITHUB_APP_CLIENT_ID"])
        #expect(findings.map(\.variable) == ["GITHUB_APP_CLIENT_ID", "KICK_TOKEN", "X"], "\(findings)")
        #expect(findings.allSatisfy { (finding: ShellStepLint.Finding) in finding.section == "2. Use it" })
    }

    // MARK: - What the steps put where

    /// `pr-review.env` after steps 1 and 2, as a shell that sources it sees it (single quotes keep
    /// the key's `\n`s as written), with the queue's URL and token this test's.
    static func envFile(_ harness: RedisHarness) throws -> [String: String] {
        var values: [String: String] = [:]
        for line in try appEnvFile().split(separator: "\n") where !line.hasPrefix("#") {
            guard let name = ShellStepLint.assignedName(String(line)) else { continue }
            var value = String(line.dropFirst(name.count + 1))
            if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            values[name] = value
        }
        let upstash = harness.environment()
        #expect(try read("infra/README.md").contains("UPSTASH_REDIS_REST_URL=https://YOUR-DATABASE.upstash.io"))
        values["UPSTASH_REDIS_REST_URL"] = upstash["UPSTASH_REDIS_REST_URL"]
        values["UPSTASH_REDIS_REST_TOKEN"] = upstash["UPSTASH_REDIS_REST_TOKEN"]
        return values
    }

    /// The shell steps of `infra/README.md`'s section numbered `number`.
    static func section(_ number: Int) throws -> String {
        let parts = try read("infra/README.md").components(separatedBy: "\n## ")
        return try #require(parts.first { $0.hasPrefix("\(number). ") }, "infra/README.md has no section \(number)")
    }

    /// Each `(name, variable)` pair a pattern captures in `text`.
    static func pairs(_ pattern: String, in text: String) throws -> [(String, String)] {
        let expression = try NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return expression.matches(in: text, range: NSRange(location: 0, length: ns.length)).map {
            (ns.substring(with: $0.range(at: 1)), ns.substring(with: $0.range(at: 2)))
        }
    }

    /// A secret store filled as the steps fill it: `value of $VARIABLE | … create NAME`, and random
    /// tokens where a step pipes `openssl rand -hex 32`.
    static func secretStore(_ text: String, command: String, env: [String: String]) throws -> [String: String] {
        var store: [String: String] = [:]
        for (variable, name) in try pairs(#"printf %s "\$(\w+)"\s*\|\s*"# + command + #" ([\w-]+)"#, in: text) {
            let value: String = try #require(env[variable], "\(variable) is not in pr-review.env")
            store[name] = value
        }
        for (_, name) in try pairs(#"(openssl rand -hex 32)\s*\|\s*"# + command + #" ([\w-]+)"#, in: text) {
            store[name] = UUID().uuidString
        }
        return store
    }

    static func expectSlug(_ functions: [DeployedFunction]) {
        for function in functions { #expect(function.environment["GITHUB_APP_SLUG"] == slug, "\(function)") }
    }

    // MARK: - Each path

    @Test func cloudRunServicesStartAndReviewAsWritten() async throws {
        try await RedisHarness.with { harness in
            let env = try Self.envFile(harness)
            let steps = try Self.section(4)
            let secrets = try Self.secretStore(steps, command: "gcloud secrets create", env: env)
            // The step's own sed fills the placeholders; every one it fills must be gone after it.
            let shell = ["PROJECT": "acme-project", "PROJECT_NUMBER": "123456789", "REGION": "europe-west1", "GITHUB_APP_SLUG": Self.slug]
            let substitutions = try Self.pairs(#"s/(\w+)/\$(\w+)/g"#, in: steps)
            #expect(Set(substitutions.map(\.0)) == ["PROJECT_NUMBER", "PROJECT", "REGION", "YOUR_APP_SLUG"])
            var functions: [DeployedFunction] = []
            for name in ["webhook-ingest", "review-job"] {
                var text = try Self.read("infra/cloudrun/\(name).yaml")
                for (placeholder, variable) in substitutions { text = text.replacingOccurrences(of: placeholder, with: try #require(shell[variable])) }
                functions += try DeployManifests.kubernetes(file: "infra/cloudrun/\(name).yaml", yaml: text) { name, _ in secrets[name] }
            }
            #expect(functions.map(\.executable).sorted() == ["review-job", "webhook-ingest"] && functions.allSatisfy { $0.platform == .knative })
            Self.expectSlug(functions)
            let ingest = try #require(functions.first { $0.executable == "webhook-ingest" })
            let queuePath = try #require(ingest.environment["REVIEW_JOB_KICK"]?.split(separator: ":", maxSplits: 1).last.map(String.init))
            let tasks = try await CloudTasksStandIn.start(queue: queuePath)
            let world = ["CLOUD_TASKS_API_URL": tasks.url.absoluteString, "GCE_METADATA_HOST": "127.0.0.1:\(tasks.server.port)"]
            try await Self.servedPathReviews(functions, world: world, harness: harness) { kickedBy in
                // Ingest's kick is a Cloud Tasks task that POSTs the drain to review-job's URL as the scheduler account.
                let task = try #require(tasks.fire(upTo: Date().addingTimeInterval(60)).first, "ingest created no task")
                #expect(task.target == ingest.environment["REVIEW_JOB_KICK_URL"] && task.identity == ingest.environment["REVIEW_JOB_KICK_SERVICE_ACCOUNT"])
                #expect(task.target.contains("123456789") && !task.target.contains("PROJECT"))
                return try await kickedBy(task.body, [:])
            }
            await tasks.stop()
        }
    }

    @Test func openFaaSFunctionsStartAndReviewAsWritten() async throws {
        try await RedisHarness.with { harness in
            let env = try Self.envFile(harness)
            let steps = try Self.section(5)
            let secrets = try Self.secretStore(steps, command: "faas-cli secret create", env: env)
            // faas-cli's ${VAR} substitution, from the step's own REGISTRY=… GITHUB_APP_SLUG=… prefix.
            #expect(steps.contains("GITHUB_APP_SLUG=$GITHUB_APP_SLUG faas-cli deploy -f infra/openfaas/pr-review.yml"))
            var text = try Self.read("infra/openfaas/pr-review.yml")
            for (name, value) in ["${REGISTRY}": "registry.example.com/acme", "${GITHUB_APP_SLUG}": Self.slug] {
                text = text.replacingOccurrences(of: name, with: value)
            }
            // OpenFaaS mounts each secret a function names as a file under /var/openfaas/secrets/.
            let mount = FileManager.default.temporaryDirectory.appendingPathComponent("openfaas-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: mount) }
            var functions = try DeployManifests.openFaaS(file: "infra/openfaas/pr-review.yml", yaml: text)
            for index in functions.indices {
                for name in functions[index].mountedSecrets {
                    let value = try #require(secrets[name], "\(functions[index]) mounts secret \(name), which the steps do not create")
                    try Data(value.utf8).write(to: mount.appendingPathComponent(name))
                }
                functions[index] = DeployedFunction(
                    file: functions[index].file, executable: functions[index].executable, platform: .openFaaS, arguments: functions[index].arguments,
                    environment: functions[index].environment.mapValues { $0.replacingOccurrences(of: "/var/openfaas/secrets", with: mount.path) },
                    mountedSecrets: functions[index].mountedSecrets)
            }
            #expect(functions.map(\.executable).sorted() == ["review-job", "webhook-ingest"])
            Self.expectSlug(functions)
            let token = try #require(secrets["pr-review-kick-token"])
            try await Self.servedPathReviews(functions, world: [:], harness: harness) { kickedBy in
                // The gateway's async route passes the kick's headers on: the kick token is review-job's.
                let refused = try await kickedBy(DrainKick.event, [:])
                #expect(refused.status == 401)
                return try await kickedBy(DrainKick.event, ["authorization": "Bearer \(token)"])
            }
        }
    }

    @Test func kedaDeploymentAndScaledJobStartAndReviewAsWritten() async throws {
        try await RedisHarness.with { harness in
            let env = try Self.envFile(harness)
            let steps = try Self.section(6)
            var secret: [String: String] = [:]
            for (key, variable) in try Self.pairs(#"--from-literal=(\w+)="\$(\w+)""#, in: steps) { secret[key] = env[variable] }
            for (key, _) in try Self.pairs(#"--from-literal=(\w+)="(\$\(openssl rand -hex 32\))""#, in: steps) { secret[key] = UUID().uuidString }
            let text = try Self.read("infra/keda/pr-review.yaml").replacingOccurrences(of: "REGISTRY", with: "registry.example.com/acme")
            let functions = try DeployManifests.kubernetes(file: "infra/keda/pr-review.yaml", yaml: text) { name, key in name == "pr-review" ? secret[key] : nil
            }
            #expect(functions.map(\.platform) == [.kubernetes, .kubernetesJob])
            Self.expectSlug(functions)
            let ingest = try #require(functions.first { $0.platform == .kubernetes })
            let job = try #require(functions.first { $0.platform == .kubernetesJob })
            let github = try await GitHubTestApp.start()
            let fixture = PullRequestFixture.named("ky-small-single-file-edit")
            let delivery = try WebhookFixtures.opened(for: fixture)
            let pull = github.standIn.serve(fixture)
            let served = try await ServedProcess.start(
                try Tools.binary(ingest.executable), arguments: ingest.arguments, environment: ingest.environment.merging(Self.loadedMachine) { $1 })
            let answer = try await Self.post(port: served.port, body: delivery, headers: WebhookFixtures.headers(event: "pull_request", body: delivery))
            #expect(answer.status == 202, "\(answer.text)")
            // KEDA polls the depth with the metrics token from the same secret, then starts a Job.
            let depth = try await Self.get(
                port: served.port, path: "/queue/depth", headers: ["authorization": "Bearer \(try #require(secret["METRICS_TOKEN"]))"])
            #expect(depth.status == 200 && depth.text.contains(#""unfinished":1"#), "\(depth.text)")
            let run = try await ProcessRun.run(
                try Tools.binary(job.executable), arguments: job.arguments,
                environment: job.environment.merging(["GITHUB_API_URL": github.standIn.url.absoluteString]) { $1 }.merging(Self.loadedMachine) { $1 })
            #expect(run.exitCode == 0, "\(run.stderrText)")
            #expect(run.stdoutText.contains(#""outcome":"completed""#), "\(run.stdoutText)")
            #expect(github.standIn.reviews("\(pull.owner)/\(pull.repo)#\(pull.number)").count == 1)
            await served.stop()
            await github.standIn.stop()
        }
    }

    @Test func samTemplateStartsBothFunctionsOnLambda() async throws {
        try await RedisHarness.with { harness in
            let env = try Self.envFile(harness)
            let steps = try Self.section(3)
            var ssm: [String: String] = [:]
            for (name, variable) in try Self.pairs(#"ssm put-parameter --name (\S+) --type String --value "\$(\w+)""#, in: steps) { ssm[name] = env[variable] }
            let arguments = Dictionary(uniqueKeysWithValues: try Self.pairs(#"--arg (\w+) "\$(\w+)""#, in: steps))
            var secret: [String: String] = [:]
            for (key, argument) in try Self.pairs(#"(\w+):\$(\w+)[,}]"#, in: steps) { secret[key] = arguments[argument].flatMap { env[$0] } }
            var overrides = ["SecretsArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pr-review-AbCdEf"]
            for (name, variable) in try Self.pairs(#"(\w+)="\$(\w+)""#, in: steps) where variable != "aws" { overrides[name] = env[variable] }
            for (name, value) in try Self.pairs(#"\b(Llm\w+)=(\w+)\b"#, in: steps.components(separatedBy: "sam deploy").last ?? "") where overrides[name] == nil
            {
                overrides[name] = value
            }
            #expect(overrides["GitHubAppSlug"] == Self.slug)
            let functions = try DeployManifests.sam(
                file: "infra/template.yaml", yaml: try Self.read("infra/template.yaml"), stackName: "pr-review", overrides: overrides, ssm: ssm,
                secret: { secret[$0] })
            #expect(functions.map(\.executable).sorted() == ["review-job", "webhook-ingest"])
            Self.expectSlug(functions)
            // Lambda provides these to every function: its Runtime API, region, credentials and name.
            let ping = try WebhookFixtures.payload("ping", "payload.json")
            let events = [
                "webhook-ingest": WebhookFixtures.functionURLEvent(headers: WebhookFixtures.headers(event: "ping", body: ping), body: ping),
                "review-job": DrainKick.event,
            ]
            for function in functions {
                let runtime = try await LambdaRuntimeAPIStandIn.start(
                    events: [try #require(events[function.executable])], timeout: try #require(function.timeout))
                let platform = [
                    "AWS_LAMBDA_RUNTIME_API": runtime.address, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                    "AWS_SECRET_ACCESS_KEY": "secret-example", "AWS_SESSION_TOKEN": "session-example",
                    "AWS_LAMBDA_FUNCTION_NAME": "pr-review-\(function.executable)", "PATH": "/usr/bin:/bin",
                ].merging(Self.loadedMachine) { $1 }
                let run = try await ProcessRun.run(try Tools.binary(function.executable), environment: function.environment.merging(platform) { $1 })
                await runtime.stop()
                #expect(run.exitCode == 0, "\(function): \(run.stderrText)")
                let answer = try #require(runtime.posted.first, "\(function) answered nothing: \(run.stderrText)")
                #expect(answer.kind == "response", "\(function): \(String(decoding: answer.body, as: UTF8.self))")
                let body = String(decoding: answer.body, as: UTF8.self)
                if function.executable == "review-job" {
                    #expect(body.contains(#""stoppedBecause":"empty""#), "\(function): \(body)")
                } else {
                    let response = try JSONDecoder().decode(FunctionURLResponse.self, from: answer.body)
                    #expect(response.statusCode == 200 && response.body.contains("pong"), "\(function): \(body)")
                }
            }
        }
    }

    // MARK: - Served paths: ingest queues a real pull request, the platform's kick makes review-job review it

    static func servedPathReviews(
        _ functions: [DeployedFunction], world: [String: String], harness: RedisHarness,
        kick: (_ kickedBy: (Data, [String: String]) async throws -> Answer) async throws -> Answer
    ) async throws {
        let ingest = try #require(functions.first { $0.executable == "webhook-ingest" })
        let job = try #require(functions.first { $0.executable == "review-job" })
        let github = try await GitHubTestApp.start()
        let fixture = PullRequestFixture.named("ky-small-single-file-edit")
        let pull = github.standIn.serve(fixture)
        let world = world.merging(["GITHUB_API_URL": github.standIn.url.absoluteString]) { $1 }.merging(loadedMachine) { $1 }
        let ingestProcess = try await ServedProcess.start(
            try Tools.binary(ingest.executable), arguments: ingest.arguments, environment: ingest.environment.merging(world) { $1 })
        let jobProcess = try await ServedProcess.start(
            try Tools.binary(job.executable), arguments: job.arguments, environment: job.environment.merging(world) { $1 })
        for port in [ingestProcess.port, jobProcess.port] {
            let ready = try await get(port: port, path: "/readyz")
            #expect(ready.status == 200, "\(ready.text)")
        }
        let delivery = try WebhookFixtures.opened(for: fixture)
        let queued = try await post(port: ingestProcess.port, body: delivery, headers: WebhookFixtures.headers(event: "pull_request", body: delivery))
        #expect(queued.status == 202 && queued.text.contains(#""status":"queued""#), "\(queued.text)")
        let drained = try await kick { (body: Data, headers: [String: String]) in try await post(port: jobProcess.port, body: body, headers: headers) }
        #expect(drained.status == 200 && drained.text.contains(#""outcome":"completed""#), "\(drained.text)")
        #expect(github.standIn.reviews("\(pull.owner)/\(pull.repo)#\(pull.number)").count == 1)
        await ingestProcess.stop()
        await jobProcess.stop()
        await github.standIn.stop()
    }

    struct Answer {
        let status: Int
        let text: String
    }

    static func post(port: Int, body: Data, headers: [String: String]) async throws -> Answer {
        try await send(HTTPRequest(method: "POST", url: URL(string: "http://127.0.0.1:\(port)/")!, headers: headers, body: body))
    }

    static func get(port: Int, path: String, headers: [String: String] = [:]) async throws -> Answer {
        try await send(HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)\(path)")!, headers: headers))
    }

    static func send(_ request: HTTPRequest) async throws -> Answer {
        var request = request
        request.timeout = 120  // asserted outcomes, not speed, on two loaded cores
        let response = try await AsyncHTTPClientTransport().send(request)
        return Answer(status: response.status, text: String(decoding: response.body, as: UTF8.self))
    }
}
