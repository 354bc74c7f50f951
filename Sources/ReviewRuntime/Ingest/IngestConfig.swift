import Foundation
import Logging
import ReviewCore

/// `webhook-ingest`'s configuration, read once at start.
public struct IngestConfig: Sendable, CustomStringConvertible {
    public var webhookSecret: String
    public var previousWebhookSecret: String?
    public var redis: RedisConfig
    public var queue: QueueSettings
    public var router: WebhookRouter.Options
    public var maxBodyBytes: Int
    /// Where to ask for a drain after queueing a job (`REVIEW_JOB_KICK`); nil: the schedule drains.
    public var kick: DrainKick.Target?
    /// How long a kick may wait for its answer (`REVIEW_JOB_KICK_TIMEOUT_SECONDS`).
    public var kickTimeout: TimeInterval

    /// Reads ingest's settings, refusing what cannot work (no secret, bad queue URL).
    public static func load(_ env: EnvironmentReader) throws(ReviewError) -> IngestConfig {
        let config = IngestConfig(
            webhookSecret: env.required("GITHUB_WEBHOOK_SECRET"),
            previousWebhookSecret: env.optional("GITHUB_WEBHOOK_SECRET_PREVIOUS"),
            redis: .load(env),
            queue: .load(env),
            router: .init(
                reviewDrafts: env.bool("REVIEW_DRAFTS", default: false), reviewBotSenders: env.bool("REVIEW_BOT_SENDERS", default: false),
                appSlug: env.optional("GITHUB_APP_SLUG"),
                commandAssociations: env.list("REVIEW_COMMAND_ASSOCIATIONS", default: WebhookRouter.Options.defaultCommandAssociations)
            ),
            maxBodyBytes: env.int("WEBHOOK_MAX_BODY_BYTES", default: WebhookIntake.defaultMaxBodyBytes, range: 1...WebhookIntake.defaultMaxBodyBytes),
            kick: DrainKick.load(env),
            kickTimeout: env.seconds("REVIEW_JOB_KICK_TIMEOUT_SECONDS", default: 3)
        )
        try env.validate()
        return config
    }

    public var secretValues: [String] { [webhookSecret, previousWebhookSecret, redis.token].compactMap(\.self) + DrainKick.secrets(of: kick) }

    public var description: String {
        "IngestConfig(webhookSecret: <redacted>, previousWebhookSecret: \(previousWebhookSecret == nil ? "none" : "<redacted>"), \(redis), queue: \(queue.name), router: \(router), maxBodyBytes: \(maxBodyBytes), kick: \(kickDescription))"
    }

    private var kickDescription: String {
        switch kick {
        case .lambda(let function, let endpoint, _)?: "lambda \(function) at \(endpoint.absoluteString)"
        case .http(let url, let token)?: "\(url.absoluteString)\(token == nil ? "" : " with a bearer token")"
        case .cloudTasks(let target)?: "Cloud Tasks \(target.queue) → \(target.url.absoluteString) as \(target.serviceAccount)"
        case nil: "none"
        }
    }
}
