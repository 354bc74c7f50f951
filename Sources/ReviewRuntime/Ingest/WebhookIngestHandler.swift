import Foundation
import Logging
import ReviewCore

/// Verifies, validates and routes GitHub deliveries, then enqueues review jobs. Never calls GitHub or a model.
public struct WebhookIngestHandler: FunctionHandler {
    /// Replay of delivery exports: their payload is re-serialised, so the signature cannot be checked.
    public static let skipSignatureFlag = "--skip-signature-check"

    public let intake: WebhookIntake
    public let queue: RedisJobQueue
    public let secretValues: [String]
    /// `WEBHOOK_MAX_BODY_BYTES` is enforced while the body is read, not after.
    public var serveLimits: HTTPServerLimits { HTTPServerLimits(maxBodyBytes: intake.maxBodyBytes) }
    public let kick: DrainKick?
    private let clock: WallClock

    /// The queue's calls go through `transport`, kicks through `kickTransport`: both fail at once
    /// when nothing listens, and a kick's deadline holds (every kick is bounded at its timeout + 2 s).
    public init(
        config: IngestConfig, transport: any HTTPTransport = AsyncHTTPClientTransport.failingFast,
        kickTransport: any HTTPTransport = AsyncHTTPClientTransport.failingFast,
        clock: WallClock = .system
    ) {
        intake = WebhookIntake(
            secrets: [config.webhookSecret, config.previousWebhookSecret].compactMap(\.self),
            router: WebhookRouter(options: config.router),
            maxBodyBytes: config.maxBodyBytes
        )
        queue = RedisJobQueue(redis: config.redis.client(transport: transport), settings: config.queue)
        secretValues = config.secretValues
        kick = config.kick.map { DrainKick(target: $0, timeout: config.kickTimeout, transport: kickTransport, clock: clock) }
        self.clock = clock
    }

    /// Decides and acts on one delivery.
    public func ingest(_ request: WebhookRequest, skipSignatureCheck: Bool = false, logger: Logger) async -> IngestResponse {
        var logger = logger
        if let delivery = request.deliveryID { logger[metadataKey: "deliveryId"] = "\(delivery.prefix(64))" }
        let response: IngestResponse
        switch intake.decide(request, skipSignatureCheck: skipSignatureCheck, now: clock.now()) {
        case .refuse(let refusal):
            response = refusal
        case .act(_, let decision):
            response = await act(on: decision, logger: &logger)
        }
        // What an operator must look at stands out: refused signatures (a wrong secret, or someone
        // probing), and deliveries not taken (the queue is down: GitHub will not redeliver).
        let level: Logger.Level = response.statusCode >= 500 ? .error : response.statusCode == 401 ? .warning : .info
        logger.log(
            level: level, "delivery \(response.status.rawValue)",
            metadata: ["status": "\(response.statusCode)", "event": "\(request.event?.prefix(64) ?? "-")", "reason": "\(response.reason ?? "")"]
                .merging(response.code.map { ["errorCode": "\($0.rawValue)"] } ?? [:], uniquingKeysWith: { $1 })
        )
        ReviewMetrics.delivery(response.status)
        return response
    }

    private func act(on decision: RouteDecision, logger: inout Logger) async -> IngestResponse {
        do {
            switch decision {
            case .enqueue(let job):
                logger[metadataKey: "jobId"] = "\(job.id)"
                switch try await queue.enqueue(job, now: clock.now()) {
                case .queued(let id, let superseded):
                    let kicked = await kick?.send(logger: logger)
                    var response = IngestResponse(statusCode: 202, status: .queued, jobId: id, reason: superseded.map { "supersedes \($0)" })
                    response.drain = kicked
                    return response
                case .duplicate(let id, let reason):
                    return IngestResponse(statusCode: 202, status: .duplicate, jobId: id, reason: reason)
                case .paused(let id, let reason), .capped(let id, let reason):
                    return IngestResponse(statusCode: 202, status: .ignored, jobId: id, reason: reason)
                }
            case .cancel(let pullRequestKey, let reason):
                let cancelled = try await queue.cancelWaiting(pullRequestKey: pullRequestKey, reason: reason, now: clock.now())
                return IngestResponse(
                    statusCode: 202, status: .cancelled, jobId: cancelled.first,
                    reason: "\(reason): \(cancelled.count) waiting job(s) cancelled"
                )
            case .ping(let zen):
                return IngestResponse(statusCode: 200, status: .pong, reason: zen)
            case .dropInstallationToken(let installationId, let reason):
                try await InstallationTokenCache(queue: queue).drop(installationId: installationId)
                return IngestResponse(statusCode: 202, status: .ignored, reason: "\(reason): cached installation token dropped")
            case .ignore(let reason):
                return IngestResponse(statusCode: 202, status: .ignored, reason: reason)
            }
        } catch {
            let failure = ReviewError.from(error, otherwise: .queueUnreachable)
            return IngestResponse(
                statusCode: 503, status: .unavailable,
                reason: "queue unavailable, nothing was queued; GitHub records the delivery as failed so it can be redelivered (\(failure.message))",
                code: failure.code
            )
        }
    }

    /// Ready when the queue answers a PING.
    public func readiness() async -> ReviewError? { await queue.ping() }

    /// The queue's counts, for the metrics.
    public func queueStats() async -> QueueStats? { try? await queue.stats(now: clock.now()) }

    public func queueDepth() async throws -> QueueDepth? { try await queue.depth() }

    /// Serve mode: the raw POST from GitHub.
    public func handle(http: HTTPRequest, context: InvocationContext) async -> HTTPResponse {
        guard http.method == "POST" else {
            return .json(405, IngestResponse.rejected(.methodNotAllowed, "webhooks are delivered with POST").jsonBody)
        }
        let response = await ingest(WebhookRequest(headers: http.headers, body: http.body), logger: context.logger)
        return .json(response.statusCode, response.jsonBody)
    }

    /// File, stdin and Lambda: an HTTP envelope or a delivery export → a Function URL response object.
    public func handle(event: Data, context: InvocationContext) async throws -> Data {
        let (shape, request) = try WebhookEventShape.decode(event)
        let skip = context.flags.contains(Self.skipSignatureFlag)
        if skip { context.logger.warning("signature check disabled by \(Self.skipSignatureFlag) for a \(shape.rawValue)") }
        let response = await ingest(request, skipSignatureCheck: skip, logger: context.logger)
        return FunctionURLResponse(response).json
    }
}
