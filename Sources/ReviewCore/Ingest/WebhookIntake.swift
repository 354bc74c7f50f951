import Foundation

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
                return .refuse(
                    .rejected(
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
