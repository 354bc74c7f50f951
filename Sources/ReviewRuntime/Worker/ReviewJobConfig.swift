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
    /// Report each review as a check run (`REVIEW_CHECK_RUNS`, default true).
    public var checkRuns: Bool = true
    /// Head files read per job at most, by count and by bytes.
    public var headFiles = (count: 40, bytes: 4_000_000)
    public var github: GitHubAppConfig?
    public var llm: LLMConfig
    /// Where a drain that leaves work for later asks to be woken (`REVIEW_JOB_WAKE`), if anywhere.
    public var wake: DrainWake.Target?

    /// Reads review-job's settings, refusing what cannot work.
    public static func load(_ env: EnvironmentReader) throws(ReviewError) -> ReviewJobConfig {
        let recordURL = env.optional("REVIEW_RECORD_URL").map { _ in env.url("REVIEW_RECORD_URL") }
        var config = ReviewJobConfig(
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
        config.checkRuns = env.bool("REVIEW_CHECK_RUNS", default: true)
        config.wake = DrainWake.load(env)
        config.headFiles = (
            env.int("HEAD_FILES_MAX", default: config.headFiles.count, range: 0...3_000),
            env.int("HEAD_FILES_MAX_BYTES", default: config.headFiles.bytes, range: 0...100_000_000)
        )
        try env.validate()
        return config
    }

    public var secretValues: [String] {
        [redis.token, invokeToken].compactMap(\.self) + (github?.secretValues ?? []) + llm.secretValues + DrainWake.secrets(of: wake)
    }

    public var description: String {
        "ReviewJobConfig(\(redis), queue: \(queue.name), concurrency: \(concurrency), deadlineMargin: \(deadlineMargin), maxDrainSeconds: \(maxDrainSeconds), drainPatience: \(drainPatience), invokeToken: \(invokeToken == nil ? "none" : "<redacted>"))"
    }
}
