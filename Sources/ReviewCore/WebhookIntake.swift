import Foundation

/// The answer `webhook-ingest` gives a delivery: an HTTP status and a small JSON body
/// `{"status", "jobId"?, "reason"?, "code"?, "drain"?}`.
public struct IngestResponse: Sendable, Equatable, Codable {
    /// What became of the delivery.
    public enum Status: String, Sendable, Codable {
        case queued, duplicate, ignored, cancelled, pong
        /// Refused as sent (4xx): GitHub should not redeliver it unchanged.
        case rejected
        /// The queue could not take it (503): nothing was queued, so it can be redelivered.
        case unavailable
    }

    public var statusCode: Int
    public var status: Status
    public var jobId: String?
    public var reason: String?
    /// A stable error code on 4xx/5xx answers.
    public var code: ReviewError.Code?
    /// For a queued job, when `review-job` was asked to drain: sent | waiting | failed: … (nil: not asked).
    public var drain: String?

    public init(statusCode: Int, status: Status, jobId: String? = nil, reason: String? = nil, code: ReviewError.Code? = nil) {
        self.statusCode = statusCode
        self.status = status
        self.jobId = jobId
        self.reason = reason
        self.code = code
    }

    /// A refusal; the HTTP status follows from the code.
    public static func rejected(_ code: ReviewError.Code, _ reason: String) -> IngestResponse {
        IngestResponse(statusCode: code.httpStatus, status: .rejected, reason: reason, code: code)
    }

    /// The body as sent on the wire (without the status code, which is the HTTP status).
    public var jsonBody: Data {
        struct Body: Encodable { let status: Status; let jobId: String?; let reason: String?; let code: ReviewError.Code?; let drain: String? }
        return (try? JSONEncoder.iso.encode(Body(status: status, jobId: jobId, reason: reason, code: code, drain: drain))) ?? Data("{}".utf8)
    }
}

/// Either a route to act on, or the response that refuses the delivery.
public enum IntakeOutcome: Sendable, Equatable {
    case act(deliveryID: String, RouteDecision)
    case refuse(IngestResponse)
}

/// Everything `webhook-ingest` decides before touching the queue: size, signature, headers, payload
/// and route. Pure: the caller passes the time.
public struct WebhookIntake: Sendable {
    /// GitHub caps webhook payloads at 25 MB; anything bigger is not a genuine delivery.
    public static let defaultMaxBodyBytes = 25 * 1024 * 1024

    public var secrets: [String]
    public var router: WebhookRouter
    public var maxBodyBytes: Int

    public init(secrets: [String], router: WebhookRouter = WebhookRouter(), maxBodyBytes: Int = WebhookIntake.defaultMaxBodyBytes) {
        self.secrets = secrets
        self.router = router
        self.maxBodyBytes = maxBodyBytes
    }

    /// What to do with `request`, or the response that refuses it.
    /// - Parameter skipSignatureCheck: only for replaying delivery exports, chosen explicitly by a flag.
    public func decide(_ request: WebhookRequest, skipSignatureCheck: Bool = false, now: Date) -> IntakeOutcome {
        if request.body.count > maxBodyBytes {
            return .refuse(.rejected(.tooLarge, "body is \(request.body.count) bytes; the limit is \(maxBodyBytes)"))
        }
        if !skipSignatureCheck {
            if request.signature == nil {
                return .refuse(.rejected(.badSignature, "missing X-Hub-Signature-256 header"))
            }
            if !request.bodyIsOriginal {
                return .refuse(.rejected(
                    .badSignature,
                    "a delivery export holds a re-serialised payload, not the signed bytes; replay it with signature checking disabled (--skip-signature-check)"
                ))
            }
            if !WebhookSignature.isValid(request.signature, body: request.body, secrets: secrets) {
                return .refuse(.rejected(.badSignature, "X-Hub-Signature-256 does not match the body"))
            }
        }
        guard let event = request.event, !event.isEmpty else {
            return .refuse(.rejected(.badInput, "missing X-GitHub-Event header"))
        }
        guard let deliveryID = request.deliveryID, !deliveryID.isEmpty else {
            return .refuse(.rejected(.badInput, "missing X-GitHub-Delivery header"))
        }
        do {
            let payload = try JSONValue.parse(request.body)
            let decision = try router.route(event: event, deliveryID: deliveryID, payload: payload, now: now)
            return .act(deliveryID: deliveryID, decision)
        } catch {
            return .refuse(.rejected(error.code, error.message))
        }
    }
}
