import Foundation
import Logging
import ReviewCore

/// Reviews one pull-request head: fetch, review, anchor, de-duplicate, re-check the head, post one
/// COMMENT review — or nothing when the work is already done or out of date.
public struct PullRequestReviewer: JobProcessor {
    public let github: GitHubClient
    public let model: any ReviewModel
    public let clock: WallClock
    /// Where `pause` and `resume` are kept (nil: those commands fail with a configuration error).
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

    /// Reviews the job's head, or answers the comment of a command or reply job; the outcome is the job's result.
    public func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data {
        // Encoding these plain values cannot fail; a failure to review or answer is thrown, never swallowed.
        if job.kind.isAutomatic {
            let outcome = try await review(job, attempt: attempt, logger: logger)
            return (try? JSONEncoder.iso.encode(outcome)) ?? Data("{}".utf8)
        }
        let outcome = try await CommentResponder(reviewer: self).respond(job, logger: logger)
        return (try? JSONEncoder.iso.encode(outcome)) ?? Data("{}".utf8)
    }

    /// Fetches, plans, asks the model, composes and posts one review (or says why not), with the
    /// head's check run in progress while it works and completed when it ends.
    /// - Parameter again: a `full review` command: the head may already be reviewed, every finding
    ///   counts in the summary, and only findings not yet commented inline are posted inline.
    public func review(_ job: ReviewJob, again: Bool = false, attempt: Int = 1, logger: Logger) async throws -> ReviewOutcome {
        let started = clock.now()
        let pull = try await github.pullRequest(job)
        if let stale = staleness(pull, job) { return .skipped(.stale, stale) }

        let identity = try await github.tokens.identity()
        if job.kind.isAutomatic, job.comment == nil, CommandParser.saysIgnore(pull.body, slug: identity.slug) {
            return .skipped(.skipped, "the description says ignore: this pull request is reviewed only on command")
        }
        let existing = try await github.reviews(job).filter(identity.wrote)
        if !again, let done = ReviewPolicy.alreadyReviewed(head: job.headSha, ourReviewBodies: existing.map(\.body)) {
            return .skipped(.alreadyReviewed, done)
        }
        let (config, configProblems) = try await RepoConfigLoader.load(github, job: job, baseRef: pull.baseRef)
        if let skip = ReviewPolicy.configSkip(config, draft: pull.draft, labels: pull.labels) { return .skipped(.skipped, skip) }

        let reporter = CheckRunReporter(github: github, clock: clock)
        let check = checkRuns && config.checkRun ? await reporter.start(job, app: identity, attempt: attempt, logger: logger) : nil
        let (outcome, result) = try await reviewHead(
            job, pull: pull, identity: identity, existing: existing, config: config, configProblems: configProblems, again: again, started: started,
            logger: logger)
        await reporter.finish(job, id: check, result, logger: logger)
        return outcome
    }

    /// A failed attempt of an automatic review: its check run says so (and whether a retry follows).
    public func jobFailed(_ job: ReviewJob, error: ReviewError, attempt: Int, willRetry: Bool, logger: Logger) async {
        guard checkRuns, job.kind.isAutomatic, let identity = try? await github.tokens.identity() else { return }
        await CheckRunReporter(github: github, clock: clock).failed(job, app: identity, error: error, attempt: attempt, willRetry: willRetry, logger: logger)
    }

    typealias CheckResult = (conclusion: String, output: CheckRunText.Output)

    /// The review of a head that needs one: the outcome, and what the check run says of it.
    private func reviewHead(
        _ job: ReviewJob, pull: PullRequestInfo, identity: AppIdentity, existing: [PostedItem], config: RepoConfig, configProblems: [String],
        again: Bool, started: Date, logger: Logger
    ) async throws -> (ReviewOutcome, CheckResult) {
        func stale(_ reason: String) -> (ReviewOutcome, CheckResult) { (.skipped(.stale, reason), CheckRunText.skipped(reason)) }
        var (diff, withoutDiff) = try await github.diff(job)
        // GitHub lists at most 3,000 files of a pull request: the rest cannot even be named.
        let unlisted = pull.changedFiles - diff.files.count - withoutDiff.count
        if unlisted > 0 {
            withoutDiff.append(
                ReviewScope.Skipped(path: "\(unlisted) more file\(unlisted == 1 ? "" : "s")", reason: "GitHub lists at most 3,000 files of a pull request"))
        }
        // An incremental review covers what changed since the last head this App reviewed — not the
        // push's `before`, so pushes made while paused, missed or failed are read too; none yet: everything.
        let lastReviewed = existing.compactMap { ReviewMarker.reviewedCommit($0.body) }.last
        var changedByPush: Set<String>?
        if job.kind == .incremental, let lastReviewed {
            changedByPush = try await github.changedPaths(job, base: lastReviewed, head: job.headSha)
        }
        let plan = ReviewPlan(diff: diff, changedByPush: changedByPush, withoutDiff: withoutDiff, config: config)
        let heads = try await HeadFileReader(github: github, maxFiles: headFiles.count, maxBytes: headFiles.bytes).read(
            job, diff: plan.diff, budgetTokens: model.contextBudgetTokens)
        var answer = try await model.review(
            ReviewInput(
                title: pull.title, body: pull.body, diff: plan.diff, instructions: config.instructions(for: plan.diff.files.map(\.path)),
                heads: heads, context: config.context
            ))
        ReviewMetrics.modelUsage(answer.usage, provider: answer.provider, model: answer.model)
        ReviewMetrics.errors(.modelInvalidOutput, count: answer.errors.count)
        answer.findings.removeAll { !config.keeps($0) }
        let notReviewed = plan.notReviewed + answer.notReviewed

        let comments = try await github.reviewComments(job).filter(identity.wrote)
        let commented = Set(comments.flatMap { ReviewMarker.fingerprints(inComment: $0.body) })
        let known = commented.union(existing.flatMap { ReviewMarker.fingerprints(inReview: $0.body) })
        let (fresh, duplicates) = ReviewPolicy.newFindings(answer.findings, known: again ? commented : known)
        let walkthrough =
            config.walkthrough
            ? try await upsertWalkthrough(
                job, identity: identity,
                body: Walkthrough.body(diff: diff, summary: answer.summary, fileSummaries: answer.fileSummaries, notReviewed: notReviewed, headSha: job.headSha)
            ) : nil
        func checkResult(posted: Int) -> CheckResult {
            CheckRunText.reviewed(
                findings: answer.findings, newlyPosted: posted, notReviewed: notReviewed, provider: answer.provider, model: answer.model,
                usage: answer.usage, reviewedFiles: plan.diff.files.count)
        }
        if !again, ReviewPolicy.nothingToPost(fresh: fresh, duplicates: duplicates, incremental: job.kind == .incremental && lastReviewed != nil) {
            let outcome = ReviewOutcome(
                status: .nothingNew, reason: "no findings that are not already on the pull request", reviewId: nil, comments: 0, bodyFindings: 0,
                duplicatesSkipped: duplicates, notReviewed: notReviewed.map(\.path), foldedAfter422: false, modelErrors: answer.errors,
                walkthrough: walkthrough
            )
            return (outcome, checkResult(posted: 0))
        }

        let composer = ReviewComposer(anchorer: Anchorer(index: HunkIndex(diff)), maxComments: config.maxComments)
        let footer = ReviewComposer.Footer(
            provider: answer.provider, model: answer.model, usage: answer.usage, latencyMs: Int(clock.now().timeIntervalSince(started) * 1000)
        )
        let composed = composer.compose(
            findings: again ? answer.findings : fresh,
            summary: answer.summary, configProblems: configProblems,
            headSha: job.headSha, notReviewed: notReviewed, reviewedInPart: answer.reviewedInPart, footer: footer, reviewedFiles: plan.diff.files.count,
            alreadyCommented: again ? commented : []
        )

        // The head may have moved while we worked: a review pinned to an old commit helps nobody.
        let latest = try await github.pullRequest(job)
        if let reason = staleness(latest, job) { return stale(reason) }

        var folded = false
        let reviewId: Int
        do {
            do {
                reviewId = try await github.createReview(job, ReviewSubmission(commitId: job.headSha, body: composed.body, comments: composed.comments))
            } catch let error as ReviewError where error.code == .githubUnprocessable && !composed.comments.isEmpty {
                logger.warning("GitHub refused the inline comments; posting them in the review body", metadata: ["error": "\(error.message)"])
                let fallback = ReviewComposer.foldingComments(composed)
                reviewId = try await github.createReview(job, ReviewSubmission(commitId: job.headSha, body: fallback.body, comments: []))
                folded = true
            }
        } catch let error as ReviewError where error.code == .githubUnprocessable {
            // A push between our check and the post makes GitHub refuse the commit: that is a stale
            // job, not a failure. Anything else GitHub refused stays a failure, with its reasons.
            if let reason = staleness(try await github.pullRequest(job), job) { return stale(reason) }
            throw error
        }
        let outcome = ReviewOutcome(
            status: .posted, reason: nil, reviewId: reviewId, comments: folded ? 0 : composed.comments.count,
            bodyFindings: composed.bodyFindings.count + (folded ? composed.comments.count : 0), duplicatesSkipped: duplicates,
            notReviewed: notReviewed.map(\.path), foldedAfter422: folded, modelErrors: answer.errors, walkthrough: walkthrough
        )
        return (outcome, checkResult(posted: again ? composed.comments.count + composed.bodyFindings.count : fresh.count))
    }

    /// Creates the walkthrough comment, or edits ours in place; says which (or `unchanged`).
    func upsertWalkthrough(_ job: ReviewJob, identity: AppIdentity, body: String) async throws -> String {
        let ours = try await github.issueComments(job).filter { identity.wrote($0) && ReviewMarker.isWalkthrough($0.body) }
        guard let current = ours.min(by: { $0.id < $1.id }) else {
            try await github.createIssueComment(job, body: body)
            return "created"
        }
        if current.body == body { return "unchanged" }
        try await github.updateIssueComment(job, id: current.id, body: body)
        return "updated"
    }

    private func staleness(_ pull: PullRequestInfo, _ job: ReviewJob) -> String? {
        ReviewPolicy.staleness(state: pull.state, head: pull.headSha, jobHead: job.headSha)
    }
}
