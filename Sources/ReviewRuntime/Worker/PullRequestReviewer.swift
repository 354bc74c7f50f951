import Foundation
import Logging
import ReviewCore

/// review-job's processor: each kind of job goes to what does it — a head to review to
/// `HeadReviewer`, a command or a reply in a thread to `CommentResponder`.
public struct PullRequestReviewer: JobProcessor {
    public let github: GitHubClient
    public let model: any ReviewModel
    public let clock: WallClock
    /// Where `pause` and `resume` are kept, and who may command is remembered (nil: those commands
    /// fail with a configuration error, and permission is asked each time).
    public let queue: RedisJobQueue?
    /// Report each review as a check run on its head (`REVIEW_CHECK_RUNS`; a repository can turn it off).
    public let checkRuns: Bool
    /// Head files read per job at most, by count and by bytes (`HEAD_FILES_MAX`, `HEAD_FILES_MAX_BYTES`).
    public var headFiles = (count: 40, bytes: 4_000_000)

    public init(github: GitHubClient, model: any ReviewModel, clock: WallClock = .system, queue: RedisJobQueue? = nil, checkRuns: Bool = true) {
        self.github = github
        self.model = model
        self.clock = clock
        self.queue = queue
        self.checkRuns = checkRuns
    }

    /// Reviews heads.
    public var heads: HeadReviewer { HeadReviewer(github: github, model: model, clock: clock, checkRuns: checkRuns, headFiles: headFiles) }

    var responder: CommentResponder { CommentResponder(heads: heads, queue: queue) }

    /// Reviews the job's head, or answers the comment of a command or reply job; the outcome is the job's result.
    public func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data {
        // Encoding these plain values cannot fail; a failure to review or answer is thrown, never swallowed.
        switch job.work {
        case .review:
            let outcome = try await review(job, attempt: attempt, logger: logger)
            return (try? JSONEncoder.iso.encode(outcome)) ?? Data("{}".utf8)
        case .command(let command, let comment):
            let outcome = try await responder.command(command, comment, on: job.pullRequest, jobId: job.id, logger: logger)
            return (try? JSONEncoder.iso.encode(outcome)) ?? Data("{}".utf8)
        case .reply(let root, let comment):
            let outcome = try await responder.answerInThread(root: root, comment, on: job.pullRequest, logger: logger)
            return (try? JSONEncoder.iso.encode(outcome)) ?? Data("{}".utf8)
        }
    }

    /// Reviews a review job's head (a comment job is not a review: `bad_input`).
    public func review(_ job: ReviewJob, attempt: Int = 1, logger: Logger) async throws -> ReviewOutcome {
        guard let review = job.review else { throw ReviewError.badInput("a \(job.kindName) job is not a review of a head") }
        return try await heads.review(HeadReviewer.Target(job.pullRequest, review, jobId: job.id), attempt: attempt, logger: logger)
    }

    /// A failed attempt of an automatic review: its check run says so (and whether a retry follows).
    public func jobFailed(_ job: ReviewJob, error: ReviewError, attempt: Int, willRetry: Bool, logger: Logger) async {
        guard checkRuns, let review = job.review, let identity = try? await github.tokens.identity() else { return }
        await CheckRunReporter(github: github, clock: clock).failed(
            job.repository, head: review.head, app: identity, error: error, attempt: attempt, willRetry: willRetry, logger: logger)
    }
}
