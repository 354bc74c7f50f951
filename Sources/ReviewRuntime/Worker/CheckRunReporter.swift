import Foundation
import Logging
import ReviewCore

/// Keeps the pull request's check run in step with the review: `in_progress` once the review
/// starts (the same run again on a retry), completed with its conclusion and summary when it ends.
/// A check run is a courtesy: when GitHub refuses one (an App without `checks: write`), the review
/// goes on and the refusal is logged.
struct CheckRunReporter: Sendable {
    let github: GitHubClient
    let clock: WallClock

    /// Marks the head's check run in progress (creating it the first time); nil when it cannot.
    func start(_ repository: RepositoryRef, head: String, externalId: String, app: AppIdentity, attempt: Int = 1, logger: Logger) async -> Int? {
        await report("starting the check run", logger: logger) {
            let fields = GitHubClient.CheckRunFields(
                name: CheckRunText.name, headSha: head, externalId: externalId, status: "in_progress", startedAt: clock.now(),
                output: CheckRunText.inProgress(attempt: attempt))
            if let id = try await github.checkRun(repository, named: CheckRunText.name, head: head, app: app) {
                try await github.updateCheckRun(repository, id: id, fields)
                return id
            }
            return try await github.createCheckRun(repository, fields)
        }
    }

    /// Completes the check run `id` with `conclusion` and `output`.
    func finish(_ repository: RepositoryRef, id: Int?, _ result: (conclusion: String, output: CheckRunText.Output), logger: Logger) async {
        guard let id else { return }
        _ = await report("completing the check run", logger: logger) {
            try await github.updateCheckRun(
                repository, id: id, .init(status: "completed", conclusion: result.conclusion, completedAt: clock.now(), output: result.output))
            return id
        }
    }

    /// A failed attempt: the check run says a retry follows, or — after the last — that the review failed.
    func failed(_ repository: RepositoryRef, head: String, app: AppIdentity, error: ReviewError, attempt: Int, willRetry: Bool, logger: Logger) async {
        _ = await report("reporting the failure on the check run", logger: logger) {
            guard let id = try await github.checkRun(repository, named: CheckRunText.name, head: head, app: app) else { return nil }
            let fields: GitHubClient.CheckRunFields =
                willRetry
                ? .init(status: "in_progress", output: CheckRunText.inProgress(attempt: attempt + 1, previousError: error.message))
                : {
                    let failed = CheckRunText.failed(error.message, attempts: attempt)
                    return .init(status: "completed", conclusion: failed.conclusion, completedAt: clock.now(), output: failed.output)
                }()
            try await github.updateCheckRun(repository, id: id, fields)
            return id
        }
    }

    private func report(_ what: String, logger: Logger, _ body: () async throws -> Int?) async -> Int? {
        do {
            return try await body()
        } catch is CancellationError {
            return nil
        } catch {
            logger.warning("\(what) failed; the review goes on without it", metadata: ["error": "\(ReviewError.from(error).message)"])
            return nil
        }
    }
}
