import ArgumentParser
import Foundation
import ReviewCore
import ReviewRuntime

@main
struct ReviewCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviewctl",
        abstract: "Operate the PR review system: the job queue, replays and redeliveries, anchoring checks, the eval.",
        version: Build.version,
        subcommands: [
            QueueCommand.self, AnchorCommand.self, ReplayCommand.self, RedeliverCommand.self, EvalCommand.self, AppCommand.self, DashboardCommand.self,
        ]
    )
}

/// Options every queue command shares: where the queue is (from the environment) and the output format.
struct QueueOptions: ParsableArguments {
    @Option(help: "Queue name (default: $QUEUE_NAME or reviews).")
    var queue: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func open() throws -> RedisJobQueue {
        let env = EnvironmentReader()
        let redis = RedisConfig.load(env)
        var settings = QueueSettings.load(env)
        if let queue { settings.name = queue }
        try env.validate()
        return RedisJobQueue(redis: redis.client(transport: AsyncHTTPClientTransport.failingFast), settings: settings)
    }

    func print<T: Encodable>(_ value: T, text: () -> String) {
        if json {
            Swift.print(String(decoding: (try? JSONEncoder.pretty.encode(value)) ?? Data(), as: UTF8.self))
        } else {
            Swift.print(text())
        }
    }
}

struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Inspect and repair the review job queue (UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN).",
        subcommands: [Stats.self, Failed.self, Show.self, Retry.self, PurgeCompleted.self]
    )

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Jobs per state and the age of the oldest waiting job.")
        @OptionGroup var options: QueueOptions

        func run() async throws {
            let stats = try await options.open().stats(now: Date())
            options.print(stats) {
                let age = stats.oldestWaitingAge.map { String(format: "%.1f s", $0) } ?? "-"
                return """
                    waiting \(stats.waiting)  delayed \(stats.delayed)  active \(stats.active) (expired leases \(stats.expiredLeases))  unfinished \(stats.unfinished)
                    completed \(stats.completed)  failed \(stats.failed)  oldest waiting \(age) since enqueued
                    paused installations \(stats.pausedInstallations)  model paused \(Int(stats.modelPausedSeconds.rounded(.up))) s
                    """
            }
        }
    }

    struct Failed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Failed jobs, newest first, with their reasons.")
        @OptionGroup var options: QueueOptions
        @Option(help: "How many to list.") var limit = 50

        func run() async throws {
            let jobs = try await options.open().failedJobs(limit: limit)
            options.print(jobs) {
                jobs.isEmpty
                    ? "no failed jobs"
                    : jobs.map { job in
                        "\(JobID.decode(job.id))  attempts \(job.attemptsSpent)  \(job.finishedAt?.formatted(.iso8601) ?? "-")\n    \(job.error ?? "")"
                    }.joined(separator: "\n")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job: state, attempts, errors, result.")
        @OptionGroup var options: QueueOptions
        @Argument(help: "Job id (as listed, or owner/repo#n@sha).") var id: String

        func run() async throws {
            let id = self.id.contains("/") ? JobID.encode(self.id) : self.id
            guard let record = try await options.open().inspect(id: id, now: Date()) else {
                throw ValidationError("no job \(self.id) in the queue")
            }
            options.print(record) {
                var lines = ["\(JobID.decode(record.id))", "state      \(record.state)", "attempts   \(record.attemptsSpent) spent"]
                if let job = record.job {
                    let what =
                        switch job.work {
                        case .review(let review): "\(job.kindName) review of \(job.pullRequest) at \(review.head.prefix(12))"
                        case .command(let command, let comment): "command \(command) by \(comment.author) on \(job.pullRequest)"
                        case .reply(_, let comment): "reply to \(comment.author) on \(job.pullRequest)"
                        }
                    lines.append("job        \(what), delivery \(job.deliveryId)")
                }
                if let at = record.scheduledAt { lines.append("scheduled  \(at.formatted(.iso8601))") }
                if let error = record.error { lines.append("error      \(error)") }
                if let error = record.lastError { lines.append("last error \(error)") }
                if let result = record.result { lines.append("result     \(result)") }
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move failed jobs back to waiting with their attempts reset.")
        @OptionGroup var options: QueueOptions
        @Argument(help: "Job ids to retry.") var ids: [String] = []
        @Flag(help: "Retry every failed job.") var all = false

        func validate() throws {
            if ids.isEmpty != all { throw ValidationError("give job ids or --all (not both)") }
        }

        func run() async throws {
            let ids = self.ids.map { $0.contains("/") ? JobID.encode($0) : $0 }
            let retried = try await options.open().retryFailed(ids: ids, now: Date())
            options.print(["retried": retried]) {
                retried.isEmpty ? "nothing retried (no such failed job)" : "retried \(retried.count): " + retried.map(JobID.decode).joined(separator: ", ")
            }
            if retried.isEmpty && !all { throw ExitCode(1) }
        }
    }

    struct PurgeCompleted: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "purge-completed", abstract: "Delete completed jobs.")
        @OptionGroup var options: QueueOptions
        @Option(help: "Keep this many of the newest.") var keep = 0

        func run() async throws {
            let removed = try await options.open().purgeCompleted(keep: keep, now: Date())
            options.print(["removed": removed]) { "removed \(removed) completed job(s)" }
        }
    }
}
