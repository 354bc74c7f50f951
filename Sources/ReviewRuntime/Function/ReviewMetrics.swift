import Foundation
import Metrics
import ReviewCore

/// Every metric the functions record, in one place, through apple/swift-metrics: whatever backend
/// the process bootstrapped receives them (Prometheus in serve mode, CloudWatch EMF on Lambda,
/// nothing otherwise). Labels never carry a repository, a user or any other text from a pull
/// request: a scrape tells how the system does, not what it reviewed.
public enum ReviewMetrics {
    /// One answered delivery, by what ingest did with it.
    public static func delivery(_ status: IngestResponse.Status) {
        Counter(label: "pr_review_deliveries_total", dimensions: [("result", status.rawValue)]).increment()
    }

    /// One claimed job's end, and how long it ran.
    public static func job(_ outcome: DrainReport.Outcome, seconds: Double) {
        Counter(label: "pr_review_jobs_total", dimensions: [("outcome", outcome.rawValue)]).increment()
        Metrics.Timer(label: "pr_review_job_duration_seconds", dimensions: [("outcome", outcome.rawValue)]).recordSeconds(seconds)
    }

    /// What one review's model calls used.
    public static func modelUsage(_ usage: ModelUsage, provider: String, model: String) {
        let names = [("provider", provider), ("model", String(model.prefix(80)))]
        Counter(label: "pr_review_model_tokens_total", dimensions: names + [("direction", "input")]).increment(by: usage.inputTokens)
        Counter(label: "pr_review_model_tokens_total", dimensions: names + [("direction", "output")]).increment(by: usage.outputTokens)
        if let cost = usage.costUSD, cost > 0 {
            FloatingPointCounter(label: "pr_review_model_cost_usd_total", dimensions: names).increment(by: cost)
        }
    }

    /// Errors by where they came from (github, model, queue, …) and their code: every failed
    /// attempt, and model answers that did not validate.
    public static func errors(_ code: ReviewError.Code, count: Int = 1) {
        guard count > 0 else { return }
        let source = code.rawValue.split(separator: "_").first.map(String.init) ?? "other"
        Counter(label: "pr_review_errors_total", dimensions: [("source", source), ("code", code.rawValue)]).increment(by: count)
    }

    /// The queue's jobs per state, as the last look at it found them.
    public static func queue(_ stats: QueueStats) {
        for (state, count) in [
            ("waiting", stats.waiting), ("delayed", stats.delayed), ("active", stats.active), ("completed", stats.completed), ("failed", stats.failed),
        ] {
            Gauge(label: "pr_review_queue_jobs", dimensions: [("state", state)]).record(count)
        }
        Gauge(label: "pr_review_queue_expired_leases").record(stats.expiredLeases)
        Gauge(label: "pr_review_queue_unfinished_jobs").record(stats.unfinished)
        Gauge(label: "pr_review_queue_oldest_waiting_seconds").record(stats.oldestWaitingAge ?? 0)
        Gauge(label: "pr_review_paused_installations").record(stats.pausedInstallations)
        Gauge(label: "pr_review_model_paused_seconds").record(stats.modelPausedSeconds)
    }
}
