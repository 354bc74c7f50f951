import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// The GitHub and queue clients against a scripted transport: no server, no process, no network —
/// what each client asks and how it reads each answer, the service's errors included.
@Suite struct ClientUnitTests {
    static let api = URL(string: "https://api.github.test")!
    static let repository = RepositoryRef(owner: "octo", name: "cat", installationId: 42)
    static let pull = PullRequestRef(repository, number: 7)
    static let token = ScriptedTransport.Step(
        "POST", "/app/installations/42/access_tokens", status: 201, json: #"{"token":"ghs_x","expires_at":"2099-01-01T00:00:00Z"}"#, repeats: true)

    static func client(_ steps: [ScriptedTransport.Step]) throws -> (GitHubClient, ScriptedTransport) {
        let transport = ScriptedTransport([token] + steps)
        let signer = try GitHubAppSigner(issuer: GitHubTestApp.issuer, pem: GitHubTestApp.keyPEM)
        let tokens = InstallationTokens(signer: signer, apiURL: api, transport: transport, cache: nil, slug: "pr-review")
        return (GitHubClient(apiURL: api, transport: transport, tokens: tokens), transport)
    }

    @Test func aPullRequestIsReadFromItsDocumentedFields() async throws {
        let (github, transport) = try Self.client([
            .init(
                "GET", "/repos/octo/cat/pulls/7",
                json:
                    #"{"number":7,"state":"open","title":"T","body":null,"draft":true,"head":{"sha":"aa"},"base":{"sha":"bb","ref":"main"},"labels":[{"name":"x"}],"changed_files":3}"#
            )
        ])
        let pull = try await github.pullRequest(Self.pull)
        #expect(pull.number == 7 && pull.body == "" && pull.draft && pull.headSha == "aa" && pull.baseRef == "main" && pull.labels == ["x"])
        #expect(pull.changedFiles == 3)
        let call = try #require(transport.sent.last)
        #expect(call.header("authorization") == "Bearer ghs_x" && call.header("x-github-api-version") == "2022-11-28")
    }

    @Test func anAnswerThatIsNotWhatTheAPIDocumentsIsAProtocolErrorNamingTheField() async throws {
        let (github, _) = try Self.client([.init("GET", "/repos/octo/cat/pulls/7", json: #"{"number":7,"state":"open","head":{},"base":{"sha":"b"}}"#)])
        let error = await #expect(throws: ReviewError.self) { try await github.pullRequest(Self.pull) }
        #expect(error?.code == .githubProtocol && error?.message.contains("head.sha") == true, "\(error?.message ?? "")")
    }

    /// Decisions read GitHub's answer kept on the error, not its message.
    @Test func aBlobOverGitHubsLimitIsTooLargeByItsErrorCode() async throws {
        let (github, _) = try Self.client([
            .init("GET", "/contents/big.bin", status: 403, json: #"{"message":"This API returns blobs up to 100 MB","errors":[{"code":"too_large"}]}"#),
            .init("GET", "/contents/secret.txt", status: 403, json: #"{"message":"Resource not accessible by integration"}"#),
        ])
        #expect(try await github.fileContents(Self.repository, path: "big.bin", ref: "main", maxBytes: 1000) == .tooLarge(bytes: nil))
        let error = await #expect(throws: ReviewError.self) { try await github.fileContents(Self.repository, path: "secret.txt", ref: "main", maxBytes: 1000) }
        #expect(error?.code == .githubForbidden && error?.cause?.status == 403 && error?.cause?.codes == [])
    }

    @Test func listsFollowEveryPage() async throws {
        let next = "<\(Self.api.absoluteString)/repos/octo/cat/pulls/7/reviews?per_page=100&page=2>; rel=\"next\""
        let (github, transport) = try Self.client([
            .init("GET", "/repos/octo/cat/pulls/7/reviews", headers: ["link": next], json: #"[{"id":1,"body":"a","user":{"login":"x","type":"User"}}]"#),
            .init("GET", "/repos/octo/cat/pulls/7/reviews", json: #"[{"id":2,"body":"b","user":null}]"#),
        ])
        let reviews = try await github.reviews(Self.pull)
        #expect(reviews.map(\.id) == [1, 2] && reviews[1].author == nil)
        #expect(transport.sent.filter { $0.method == "GET" }.map { $0.url.query ?? "" } == ["per_page=100", "per_page=100&page=2"])
    }

    /// A script Redis no longer holds (NOSCRIPT, kept as Redis's error word) is sent whole once.
    @Test func aScriptRedisForgotIsSentWhole() async throws {
        let transport = ScriptedTransport([
            .init("POST", "", json: #"{"error":"NOSCRIPT No matching script. Please use EVAL."}"#),
            .init("POST", "", json: #"{"result":"done"}"#),
        ])
        let redis = RedisREST(baseURL: URL(string: "https://redis.test")!, token: "t", transport: transport)
        let reply = try await redis.eval(RedisScript(name: "done", source: "return 'done'"), keys: ["k"], args: [])
        #expect(reply == .string("done"))
        let commands = transport.sent.compactMap { (try? JSONValue.parse($0.body))?.arrayValue?.first?.stringValue }
        #expect(commands == ["EVALSHA", "EVAL"])
    }

    @Test func aRefusedCommandKeepsRedissWordAndAnUnreachableQueueItsTransportCode() async throws {
        let transport = ScriptedTransport([.init("POST", "", json: #"{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"}"#)])
        let redis = RedisREST(baseURL: URL(string: "https://redis.test")!, token: "t", transport: transport)
        let refused = await #expect(throws: ReviewError.self) { try await redis.send(["GET", "k"]) }
        #expect(refused?.code == .redisError && refused?.cause?.has(code: "WRONGTYPE") == true)

        struct Failing: HTTPTransport {
            func send(_ request: HTTPRequest) async throws -> HTTPResponse { throw ReviewError(.timeout, "redis.test timed out after 5 s") }
        }
        let down = RedisREST(baseURL: URL(string: "https://redis.test")!, token: "t", transport: Failing())
        let unreachable = await #expect(throws: ReviewError.self) { try await down.send(["PING"]) }
        #expect(unreachable?.code == .queueUnreachable && unreachable?.cause?.has(code: "timeout") == true)
    }

    /// The model client: an answer's findings and usage read, a rate limit with its wait, a refused
    /// key named without the key.
    @Test func theModelClientReadsAnswersAndNamesItsErrors() async throws {
        let key = "sk-unit-secret-123"
        func model(_ steps: [ScriptedTransport.Step]) -> any ReviewModel {
            LLMConfig.load(EnvironmentReader(["LLM_PROVIDER": "openai", "LLM_BASE_URL": "https://model.test/v1", "LLM_API_KEY": key, "LLM_MODEL": "m"]))
                .makeModel(transport: ScriptedTransport(steps))
        }
        let input = ReviewInput(title: "t", body: "", diff: DiffParser.parse(PullRequestFixture.named("ky-small-single-file-edit").diffText))
        let answer = #"{"summary":"s","changes":[],"findings":[]}"#.replacingOccurrences(of: "\"", with: "\\\"")
        let ok = model([
            .init(
                "POST", "/chat/completions",
                json: #"{"choices":[{"message":{"content":"\#(answer)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":8}}"#)
        ])
        let review = try await ok.review(input)
        #expect(review.findings.isEmpty && review.summary == "s" && review.usage.inputTokens == 120 && review.usage.outputTokens == 8)

        let limited = model([
            .init("POST", "/chat/completions", status: 429, headers: ["retry-after": "42"], json: #"{"error":{"message":"Rate limit reached"}}"#)
        ])
        let rateLimited = await #expect(throws: ReviewError.self) { try await limited.review(input) }
        #expect(rateLimited?.code == .modelRateLimited && rateLimited?.retryAfter == 42)

        let refused = model([.init("POST", "/chat/completions", status: 401, json: #"{"error":{"message":"Incorrect API key provided: \#(key)"}}"#)])
        let unauthorized = await #expect(throws: ReviewError.self) { try await refused.review(input) }
        #expect(unauthorized?.code == .modelUnauthorized && unauthorized?.message.contains(key) == false)
    }
}
