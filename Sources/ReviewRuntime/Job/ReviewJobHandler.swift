import Crypto
import Foundation
import Logging
import ReviewCore

/// `review-job`'s configuration, read once at start.
public struct ReviewJobConfig: Sendable, CustomStringConvertible {
    public var redis: RedisConfig
    public var queue: QueueSettings
    public var concurrency: Int
    public var deadlineMargin: TimeInterval
    /// How long a drain may run when the platform gives no deadline.
    public var maxDrainSeconds: TimeInterval
    /// A drain waits for a delayed job that falls due within this many seconds (`DRAIN_WAIT_SECONDS`).
    public var drainPatience: TimeInterval
    /// When set (`REVIEW_JOB_KICK_TOKEN`), an HTTP invocation must carry it as a bearer token.
    public var invokeToken: String?
    /// `REVIEW_JOB_ALLOW_UNAUTHENTICATED=true`: serve without a token on a non-loopback address,
    /// for a platform that authenticates callers itself (Cloud Run without `allUsers`, a private network).
    public var allowUnauthenticated: Bool
    public var recordURL: URL?
    public var github: GitHubAppConfig?
    public var llm: LLMConfig

    public static func load(_ env: ConfigReader) throws(ReviewError) -> ReviewJobConfig {
        let recordURL = env.optional("REVIEW_RECORD_URL").map { _ in env.url("REVIEW_RECORD_URL") }
        let config = ReviewJobConfig(
            redis: .load(env),
            queue: .load(env),
            concurrency: env.int("DRAIN_CONCURRENCY", default: 2, range: 1...64),
            deadlineMargin: env.seconds("DRAIN_DEADLINE_MARGIN_SECONDS", default: 30),
            maxDrainSeconds: env.seconds("DRAIN_MAX_SECONDS", default: 300),
            drainPatience: env.seconds("DRAIN_WAIT_SECONDS", default: 120),
            invokeToken: env.optional("REVIEW_JOB_KICK_TOKEN"),
            allowUnauthenticated: env.bool("REVIEW_JOB_ALLOW_UNAUTHENTICATED", default: false),
            recordURL: recordURL,
            // Without a record sink, review-job reviews: the GitHub App settings are then required.
            github: recordURL == nil ? GitHubAppConfig.load(env) : nil,
            llm: LLMConfig.load(env)
        )
        try env.validate()
        return config
    }

    public var secretValues: [String] { [redis.token, invokeToken].compactMap(\.self) + (github?.secretValues ?? []) + llm.secretValues }

    public var description: String {
        "ReviewJobConfig(\(redis), queue: \(queue.name), concurrency: \(concurrency), deadlineMargin: \(deadlineMargin), maxDrainSeconds: \(maxDrainSeconds), drainPatience: \(drainPatience), invokeToken: \(invokeToken == nil ? "none" : "<redacted>"))"
    }
}

/// `review-job`: given a job, processes it; given a drain request (`review-job drain`, an empty
/// HTTP POST, `{"action":"drain"}`, a scheduled event), drains the queue.
public struct ReviewJobHandler: FunctionHandler {
    public static let drainFlag = "drain"

    public let drainer: JobDrainer
    public let config: ReviewJobConfig
    public var secretValues: [String] { config.secretValues }

    public init(config: ReviewJobConfig, processor: any JobProcessor, transport: any HTTPTransport = URLSessionTransport(), now: @escaping @Sendable () -> Date = Date.init) {
        self.config = config
        let queue = RedisJobQueue(redis: config.redis.client(transport: transport), settings: config.queue)
        drainer = JobDrainer(queue: queue, processor: processor, concurrency: config.concurrency, deadlineMargin: config.deadlineMargin, now: now)
    }

    /// The production wiring: the GitHub reviewer with the configured model (or the record sink).
    public init(config: ReviewJobConfig, transport: any HTTPTransport = URLSessionTransport()) throws(ReviewError) {
        let model = config.llm.makeModel(transport: transport)
        let queue = RedisJobQueue(redis: config.redis.client(transport: transport), settings: config.queue)
        let processor: any JobProcessor
        if let github = config.github {
            let signer = try GitHubAppSigner(issuer: github.issuer, pem: github.privateKeyPEM)
            let tokens = InstallationTokens(signer: signer, apiURL: github.apiURL, transport: transport, queue: queue, slug: github.slug)
            processor = PullRequestReviewer(github: GitHubClient(apiURL: github.apiURL, transport: transport, tokens: tokens), model: model)
        } else {
            processor = JobRecorder(recordURL: config.recordURL, transport: transport)
        }
        self.init(config: config, processor: processor, transport: transport)
    }

    public func handle(event: Data, context: InvocationContext) async throws -> Data {
        let request = try ReviewJobRequest.decode(event, drainFlag: context.flags.contains(Self.drainFlag))
        switch request {
        case .drain:
            let deadline = context.deadline ?? drainer.now().addingTimeInterval(config.maxDrainSeconds)
            return Self.json(try await drainer.drain(deadline: deadline, patience: config.drainPatience, logger: context.logger))
        case .job(let job):
            var logger = context.logger
            logger[metadataKey: "jobId"] = "\(job.id)"
            let result = try await drainer.processor.process(job, attempt: 1, logger: logger)
            return Data(#"{"jobId":"\#(job.id)","status":"completed","result":"#.utf8) + result + Data("}".utf8)
        }
    }

    /// Serve mode reviews whatever job it is POSTed: without a token, only on loopback (or when the
    /// platform in front authenticates callers, said explicitly).
    public func checkServe(host: String) throws(ReviewError) {
        guard config.invokeToken == nil, !config.allowUnauthenticated, !Self.isLoopback(host) else { return }
        throw .badConfig(
            "review-job serve would listen on \(host) without REVIEW_JOB_KICK_TOKEN, so anyone who reaches the port could have any pull request reviewed: "
                + "set REVIEW_JOB_KICK_TOKEN, or HOST=127.0.0.1, or REVIEW_JOB_ALLOW_UNAUTHENTICATED=true when the platform authenticates callers"
        )
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Serve mode: with `REVIEW_JOB_KICK_TOKEN` set, only a caller holding it may invoke.
    public func handle(http: HTTPRequest, context: InvocationContext) async -> HTTPResponse {
        if let token = config.invokeToken, !Self.bearer(http.header("authorization"), matches: token) {
            return ErrorAnswer(ReviewError(.unauthorized, "this review-job requires its bearer token (REVIEW_JOB_KICK_TOKEN)")).http
        }
        return await handleEvent(http: http, context: context)
    }

    /// Compares in constant time (HMACs under a one-off key), so timing says nothing about the token.
    static func bearer(_ header: String?, matches token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let key = SymmetricKey(size: .bits256)
        let expected = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: key)
        return HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: Data(header.dropFirst("Bearer ".count).utf8), using: key)
    }

    static func json(_ report: DrainReport) -> Data {
        (try? JSONEncoder.iso.encode(report)) ?? Data()
    }
}

/// The two inputs of `review-job`.
public enum ReviewJobRequest: Equatable, Sendable {
    case drain
    case job(ReviewJob)

    public static func decode(_ event: Data, drainFlag: Bool) throws(ReviewError) -> ReviewJobRequest {
        if drainFlag || event.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .drain }
        let document = try JSONValue.parse(event, what: "event")
        if document["action"]?.stringValue == "drain" || document["detail-type"]?.stringValue == "Scheduled Event" { return .drain }
        if let job = document["job"] { return .job(try ReviewJob.decode((try? JSONEncoder().encode(job)) ?? Data())) }
        return .job(try ReviewJob.decode(event))
    }
}

/// The GitHub App review-job acts as.
public struct GitHubAppConfig: Sendable, CustomStringConvertible {
    /// `GITHUB_APP_CLIENT_ID`, else `GITHUB_APP_ID`: the JWT's `iss`.
    public var issuer: String
    public var privateKeyPEM: String
    public var apiURL: URL
    /// `GITHUB_APP_SLUG`: saves the one `GET /app` that otherwise tells review-job its bot's login.
    public var slug: String?

    public static func load(_ env: ConfigReader) -> GitHubAppConfig {
        let issuer = env.optional("GITHUB_APP_CLIENT_ID") ?? env.required("GITHUB_APP_ID")
        var pem = env.optional("GITHUB_APP_PRIVATE_KEY")
        if pem == nil, let path = env.optional("GITHUB_APP_PRIVATE_KEY_FILE") {
            pem = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }
        return GitHubAppConfig(
            issuer: issuer, privateKeyPEM: pem ?? env.required("GITHUB_APP_PRIVATE_KEY"),
            apiURL: env.url("GITHUB_API_URL", default: "https://api.github.com"), slug: env.optional("GITHUB_APP_SLUG")
        )
    }

    public var secretValues: [String] { [privateKeyPEM] }
    public var description: String { "GitHubAppConfig(issuer: \(issuer), privateKey: <redacted>, apiURL: \(apiURL), slug: \(slug ?? "from GET /app"))" }
}
