import Crypto
import Foundation
import Logging
import ReviewCore

/// `review-job`: given a job, processes it; given a drain request (`review-job drain`, an empty
/// HTTP POST, `{"action":"drain"}`, a scheduled event), drains the queue.
public struct ReviewJobHandler: FunctionHandler {
    public static let drainFlag = "drain"

    public let drainer: JobDrainer
    public let config: ReviewJobConfig
    /// Serve mode's kicks, answered at once and drained here, and the timer that wakes a drain
    /// when the work it left falls due.
    public let background: BackgroundDrains
    /// The platform's timer for work left for later (`REVIEW_JOB_WAKE`), if set.
    public let wake: DrainWake?
    public var secretValues: [String] { config.secretValues }

    public init(
        config: ReviewJobConfig, processor: any JobProcessor, transport: any HTTPTransport = AsyncHTTPClientTransport.failingFast, clock: WallClock = .system
    ) {
        self.config = config
        let queue = RedisJobQueue(redis: config.redis.client(transport: transport), settings: config.queue)
        let wake = config.wake.map { DrainWake(target: $0, queueName: config.queue.name, transport: transport, clock: clock) }
        var drainer = JobDrainer(queue: queue, processor: processor, concurrency: config.concurrency, deadlineMargin: config.deadlineMargin, clock: clock)
        if let wake {
            // A dead man's switch: a drain a little after the lease ends, whoever holds the job then.
            drainer.onClaim = { job, logger in await wake.wake(at: job.lease.deadline.addingTimeInterval(1), logger: logger) }
        }
        self.drainer = drainer
        self.wake = wake
        background = BackgroundDrains(drainer: drainer, maxSeconds: config.maxDrainSeconds, patience: config.drainPatience, wake: wake)
    }

    /// The production wiring: the GitHub reviewer with the configured model (or the record sink),
    /// every part on the same clock. The queue's short calls go through `transport`; the long
    /// ones — GitHub, the model — through `longCalls`, which waits without spending CPU.
    public init(
        config: ReviewJobConfig, transport: any HTTPTransport = AsyncHTTPClientTransport.failingFast, longCalls: any HTTPTransport = AsyncHTTPClientTransport(),
        clock: WallClock = .system
    ) throws(ReviewError) {
        let queue = RedisJobQueue(redis: config.redis.client(transport: transport), settings: config.queue)
        let budget = SharedModelBudget(queue: queue, clock: clock, maxConcurrentCalls: config.llm.processCallLimit)
        let model = config.llm.makeModel(transport: longCalls, budget: budget)
        let processor: any JobProcessor
        if let github = config.github {
            let signer = try GitHubAppSigner(issuer: github.issuer, pem: github.privateKeyPEM)
            let tokens = InstallationTokens(
                signer: signer, apiURL: github.apiURL, transport: longCalls, cache: InstallationTokenCache(queue: queue), slug: github.slug, clock: clock)
            var pacer = WritePacer(queue: queue)
            pacer.gap = github.writeGap
            pacer.perMinute = github.contentWritesPerMinute
            pacer.perHour = github.contentWritesPerHour
            let client = GitHubClient(
                apiURL: github.apiURL, transport: longCalls, tokens: tokens, clock: clock, limits: InstallationLimits(reserve: github.rateLimitReserve),
                pacer: pacer)
            var reviewer = PullRequestReviewer(github: client, model: model, clock: clock, queue: queue, checkRuns: config.checkRuns)
            reviewer.headFiles = config.headFiles
            processor = reviewer
        } else {
            processor = JobRecorder(recordURL: config.recordURL, transport: longCalls)
        }
        self.init(config: config, processor: processor, transport: transport, clock: clock)
    }

    /// A drain request drains the queue; a job is processed at once.
    public func handle(event: Data, context: InvocationContext) async throws -> Data {
        let request = try ReviewJobRequest.decode(event, drainFlag: context.flags.contains(Self.drainFlag))
        switch request {
        case .drain: return Self.json(try await drain(context: context))
        case .job(let job):
            var logger = context.logger
            logger[metadataKey: "jobId"] = "\(job.id)"
            let result = try await drainer.processor.process(job, attempt: 1, logger: logger)
            return Data(#"{"jobId":"\#(job.id)","status":"completed","result":"#.utf8) + result + Data("}".utf8)
        }
    }

    private func drain(context: InvocationContext) async throws -> DrainReport {
        await wake?.learn(invokedFunction: context.invokedFunctionArn)
        let deadline = context.deadline ?? drainer.clock.now().addingTimeInterval(config.maxDrainSeconds)
        let report = try await drainer.drainJoining(deadline: deadline, patience: config.drainPatience, logger: context.logger)
        await wake?.after(report, logger: context.logger)
        // One look at the queue per drain (not per job) keeps its gauges current on Lambda.
        if let stats = await queueStats() { ReviewMetrics.queue(stats) }
        return report
    }

    /// Ready when the queue answers a PING.
    public func readiness() async -> ReviewError? { await drainer.queue.ping() }

    /// The queue's counts, for the metrics.
    public func queueStats() async -> QueueStats? { try? await drainer.queue.stats(now: drainer.clock.now()) }

    public func queueDepth() async throws -> QueueDepth? { try await drainer.queue.depth() }

    /// Shutting down: the drain claims no new job, and one interrupted gives its lease back.
    public func beginShutdown() { drainer.stopping.set() }

    /// The background drain under way gets the grace period; then it is cancelled.
    public func finishBackground(grace: TimeInterval) async { await background.finish(grace: grace) }

    /// Serve mode reviews whatever job it is POSTed: without a token, only on loopback (or when the
    /// platform in front authenticates callers, said explicitly).
    public func checkServe(host: String) throws(ReviewError) {
        guard config.invokeToken == nil, !config.allowUnauthenticated, !HTTPAccess.isLoopback(host) else { return }
        throw .badConfig(
            "review-job serve would listen on \(host) without REVIEW_JOB_KICK_TOKEN, so anyone who reaches the port could have any pull request reviewed: "
                + "set REVIEW_JOB_KICK_TOKEN, or HOST=127.0.0.1, or REVIEW_JOB_ALLOW_UNAUTHENTICATED=true when the platform authenticates callers"
        )
    }

    /// Serve mode: with `REVIEW_JOB_KICK_TOKEN` set, only a caller holding it may invoke. A drain
    /// asked with `Prefer: respond-async` (a kick) is answered 202 at once and drained in the
    /// background; any drain here leaves a timer for the work it left (`BackgroundDrains`).
    public func handle(http: HTTPRequest, context: InvocationContext) async -> HTTPResponse {
        if let refused = refusal(http) { return refused }
        guard http.method == "POST", (try? ReviewJobRequest.decode(http.body, drainFlag: false)) == .drain else {
            return await handleEvent(http: http, context: context)
        }
        if Self.prefersAsync(http) {
            await background.kick(logger: context.logger)
            return .json(202, Self.json(DrainReport(stoppedBecause: .accepted, nextDueAt: nil, jobs: [])))
        }
        do {
            let report = try await drain(context: context)
            await background.schedule(after: report, logger: context.logger)
            return .json(200, Self.json(report))
        } catch {
            return ErrorAnswer(error).http
        }
    }

    /// RFC 7240's `Prefer: respond-async`: answer before the work is done.
    static func prefersAsync(_ request: HTTPRequest) -> Bool {
        (request.header("prefer") ?? "").lowercased().split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "respond-async" }
    }

    /// A caller without the token is refused from the request's head, before its body is read.
    public func screen(head: HTTPRequest) -> HTTPResponse? { head.method == "GET" ? nil : refusal(head) }

    private func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard let token = config.invokeToken, !HTTPAccess.bearer(request.header("authorization"), matches: token) else { return nil }
        return ErrorAnswer(ReviewError(.unauthorized, "this review-job requires its bearer token (REVIEW_JOB_KICK_TOKEN)")).http
    }

    static func json(_ report: DrainReport) -> Data {
        (try? JSONEncoder.iso.encode(report)) ?? Data()
    }
}
