import Foundation
import Logging
import ReviewCore

/// Reviews one pull-request head in named steps — `gate` (is there anything to do), `read` (the
/// diff, the plan, the head files), `ask` (the model), `select` (which findings are new),
/// `compose`, `post` (one COMMENT review) — with the head's check run in progress meanwhile, and
/// posts nothing when the work is already done or out of date.
public struct HeadReviewer: Sendable {
    /// What one review is about.
    public struct Target: Sendable {
        public var pullRequest: PullRequestRef
        public var review: ReviewJob.Review
        /// The job's id (the check run's `external_id`).
        public var jobId: String
        /// A person asked for it in a comment: the description's `ignore` does not apply.
        public var asked: Bool
        /// `full review`: review even a head already reviewed, count every finding, and post inline
        /// only what is not inline yet.
        public var again: Bool

        public init(_ pullRequest: PullRequestRef, _ review: ReviewJob.Review, jobId: String, asked: Bool = false, again: Bool = false) {
            self.pullRequest = pullRequest
            self.review = review
            self.jobId = jobId
            self.asked = asked
            self.again = again
        }

        var repository: RepositoryRef { pullRequest.repository }
        var head: String { review.head }
    }

    public let github: GitHubClient
    public let model: any ReviewModel
    public let clock: WallClock
    /// Report each review as a check run on its head (a repository can turn it off).
    public let checkRuns: Bool
    /// Head files read per job at most, by count and by bytes.
    public let headFiles: (count: Int, bytes: Int)

    /// A review's outcome, and what its check run says of it.
    typealias Reported = (outcome: ReviewOutcome, check: (conclusion: String, output: CheckRunText.Output))

    public func review(_ target: Target, attempt: Int = 1, logger: Logger) async throws -> ReviewOutcome {
        let started = clock.now()
        let context: Context
        switch try await gate(target) {
        case .done(let outcome): return outcome
        case .go(let ready): context = ready
        }
        let reporter = CheckRunReporter(github: github, clock: clock)
        let check =
            checkRuns && context.config.checkRun
            ? await reporter.start(target.repository, head: target.head, externalId: target.jobId, app: context.identity, attempt: attempt, logger: logger)
            : nil
        // A failure is reported by `jobFailed` (a retry follows or not); the check run stays in progress until then.
        let reported = try await reviewGated(target, context, started: started, logger: logger)
        await reporter.finish(target.repository, id: check, reported.check, logger: logger)
        return reported.outcome
    }

    // MARK: gate

    /// What the review found out before deciding to go on.
    struct Context {
        let pull: PullRequestInfo
        let identity: AppIdentity
        let existing: [PostedItem]
        let config: RepoConfig
        let configProblems: [String]
    }

    enum Gate {
        case done(ReviewOutcome)
        case go(Context)
    }

    /// The head is still the pull request's, its description does not say `ignore` (unless a person
    /// asked), it is not reviewed yet (unless `again`), and the repository's config reviews it.
    func gate(_ target: Target) async throws -> Gate {
        let pull = try await github.pullRequest(target.pullRequest)
        if let stale = staleness(pull, target) { return .done(.skipped(.stale, stale)) }
        let identity = try await github.tokens.identity()
        if !target.asked, CommandParser.saysIgnore(pull.body, slug: identity.slug) {
            return .done(.skipped(.skipped, "the description says ignore: this pull request is reviewed only on command"))
        }
        let existing = try await github.reviews(target.pullRequest).filter(identity.wrote)
        if !target.again, let done = ReviewPolicy.alreadyReviewed(head: target.head, ourReviewBodies: existing.map(\.body)) {
            return .done(.skipped(.alreadyReviewed, done))
        }
        let (config, problems) = try await RepoConfigLoader.load(
            github, repository: target.repository, ref: pull.configRef)
        if let skip = ReviewPolicy.configSkip(config, draft: pull.draft, labels: pull.labels) { return .done(.skipped(.skipped, skip)) }
        return .go(Context(pull: pull, identity: identity, existing: existing, config: config, configProblems: problems))
    }

    // MARK: the review itself

    private func reviewGated(_ target: Target, _ context: Context, started: Date, logger: Logger) async throws -> Reported {
        let reading = try await read(target, context)
        let answer = try await ask(reading, context)
        let selection = try await select(answer.findings, target, context)
        let notReviewed = reading.plan.notReviewed + answer.notReviewed
        let walkthrough =
            context.config.walkthrough
            ? try await upsertWalkthrough(
                target.pullRequest, identity: context.identity,
                body: Walkthrough.body(
                    diff: reading.diff, summary: answer.summary, fileSummaries: answer.fileSummaries, notReviewed: notReviewed, headSha: target.head))
            : nil
        func checked(_ outcome: ReviewOutcome, posted: Int) -> Reported {
            let check = CheckRunText.reviewed(
                findings: answer.findings, newlyPosted: posted, notReviewed: notReviewed, provider: answer.provider, model: answer.model, usage: answer.usage,
                reviewedFiles: reading.plan.diff.files.count)
            return (outcome, check)
        }
        let incremental = target.review.incremental && reading.lastReviewed != nil
        if !target.again, ReviewPolicy.nothingToPost(fresh: selection.toPost, duplicates: selection.duplicates, incremental: incremental) {
            let outcome = ReviewOutcome(
                status: .nothingNew, reason: "no findings that are not already on the pull request", reviewId: nil, comments: 0, bodyFindings: 0,
                duplicatesSkipped: selection.duplicates, notReviewed: notReviewed.map(\.path), foldedAfter422: false, modelErrors: answer.errors,
                walkthrough: walkthrough)
            return checked(outcome, posted: 0)
        }
        let composed = ReviewComposer(anchorer: Anchorer(index: HunkIndex(reading.diff)), maxComments: context.config.maxComments).compose(
            findings: selection.toPost, summary: answer.summary, configProblems: context.configProblems, headSha: target.head, notReviewed: notReviewed,
            reviewedInPart: answer.reviewedInPart,
            footer: ReviewComposer.Footer(
                provider: answer.provider, model: answer.model, usage: answer.usage, latencyMs: Int(clock.now().timeIntervalSince(started) * 1000)),
            reviewedFiles: reading.plan.diff.files.count, alreadyCommented: selection.alreadyInline)
        let posted: Posted
        switch try await post(composed, target, logger: logger) {
        case .stale(let reason): return (.skipped(.stale, reason), CheckRunText.skipped(reason))
        case .posted(let done): posted = done
        }
        let outcome = ReviewOutcome(
            status: .posted, reason: nil, reviewId: posted.reviewId, comments: posted.folded ? 0 : composed.comments.count,
            bodyFindings: composed.bodyFindings.count + (posted.folded ? composed.comments.count : 0), duplicatesSkipped: selection.duplicates,
            notReviewed: notReviewed.map(\.path), foldedAfter422: posted.folded, modelErrors: answer.errors, walkthrough: walkthrough)
        return checked(outcome, posted: target.again ? composed.comments.count + composed.bodyFindings.count : selection.toPost.count)
    }

    // MARK: read

    struct Reading {
        let diff: UnifiedDiff
        let plan: ReviewPlan
        let heads: [String: HeadFile]
        /// The last head this App reviewed, if any.
        let lastReviewed: String?
    }

    /// The diff (an incremental review: only the files changed since the last head this App
    /// reviewed — not the push's `before`, so pushes made while paused, missed or failed are read
    /// too), what of it is reviewed, and the head files around its hunks.
    func read(_ target: Target, _ context: Context) async throws -> Reading {
        var (diff, withoutDiff) = try await github.diff(target.pullRequest)
        // GitHub lists at most 3,000 files of a pull request: the rest cannot even be named.
        let unlisted = context.pull.changedFiles - diff.files.count - withoutDiff.count
        if unlisted > 0 {
            withoutDiff.append(
                ReviewScope.Skipped(path: "\(unlisted) more file\(unlisted == 1 ? "" : "s")", reason: "GitHub lists at most 3,000 files of a pull request"))
        }
        let lastReviewed = context.existing.compactMap { ReviewMarker.reviewedCommit($0.body) }.last
        var changedByPush: Set<String>?
        if target.review.incremental, let lastReviewed {
            changedByPush = try await github.changedPaths(target.repository, base: lastReviewed, head: target.head)
        }
        let plan = ReviewPlan(diff: diff, changedByPush: changedByPush, withoutDiff: withoutDiff, config: context.config)
        let heads = try await HeadFileReader(github: github, maxFiles: headFiles.count, maxBytes: headFiles.bytes).read(
            target.repository, head: target.head, diff: plan.diff, budgetTokens: model.contextBudgetTokens)
        return Reading(diff: diff, plan: plan, heads: heads, lastReviewed: lastReviewed)
    }

    // MARK: ask

    /// The model's findings on the plan, those the repository's config keeps.
    func ask(_ reading: Reading, _ context: Context) async throws -> ModelReview {
        var answer = try await model.review(
            ReviewInput(
                title: context.pull.title, body: context.pull.body, diff: reading.plan.diff,
                instructions: context.config.instructions(for: reading.plan.diff.files.map(\.path)), heads: reading.heads, context: context.config.context))
        ReviewMetrics.modelUsage(answer.usage, provider: answer.provider, model: answer.model)
        ReviewMetrics.errors(.modelInvalidOutput, count: answer.errors.count)
        answer.findings.removeAll { !context.config.keeps($0) }
        return answer
    }

    // MARK: select

    /// Which findings to post: those not on the pull request yet; on `again`, every finding, with
    /// those already inline kept out of the inline comments.
    struct Selection {
        let toPost: [Finding]
        let duplicates: Int
        let alreadyInline: Set<String>
    }

    func select(_ findings: [Finding], _ target: Target, _ context: Context) async throws -> Selection {
        let comments = try await github.reviewComments(target.pullRequest).filter(context.identity.wrote)
        let inline = Set(comments.flatMap { ReviewMarker.fingerprints(inComment: $0.body) })
        let known = target.again ? inline : inline.union(context.existing.flatMap { ReviewMarker.fingerprints(inReview: $0.body) })
        let (fresh, duplicates) = ReviewPolicy.newFindings(findings, known: known)
        return target.again
            ? Selection(toPost: findings, duplicates: duplicates, alreadyInline: inline) : Selection(toPost: fresh, duplicates: duplicates, alreadyInline: [])
    }

    // MARK: post

    struct Posted {
        let reviewId: Int
        /// GitHub refused the inline comments (422), so they went into the review body.
        let folded: Bool
    }

    enum PostResult {
        case posted(Posted)
        case stale(String)
    }

    /// Posts the review on the head, unless the head moved while we worked (a review pinned to an
    /// old commit helps nobody). When GitHub refuses the inline comments, they go into the body;
    /// a refusal because of a push in between is a stale job, anything else stays a failure.
    func post(_ composed: ReviewComposer.Composed, _ target: Target, logger: Logger) async throws -> PostResult {
        if let reason = staleness(try await github.pullRequest(target.pullRequest), target) { return .stale(reason) }
        do {
            return .posted(try await postFolding(composed, target, logger: logger))
        } catch let error as ReviewError where error.code == .githubUnprocessable {
            if let reason = staleness(try await github.pullRequest(target.pullRequest), target) { return .stale(reason) }
            throw error
        }
    }

    private func postFolding(_ composed: ReviewComposer.Composed, _ target: Target, logger: Logger) async throws -> Posted {
        do {
            let id = try await github.createReview(
                target.pullRequest, ReviewSubmission(commitId: target.head, body: composed.body, comments: composed.comments))
            return Posted(reviewId: id, folded: false)
        } catch let error as ReviewError where error.code == .githubUnprocessable && !composed.comments.isEmpty {
            logger.warning("GitHub refused the inline comments; posting them in the review body", metadata: ["error": "\(error.message)"])
            let fallback = ReviewComposer.foldingComments(composed)
            let id = try await github.createReview(target.pullRequest, ReviewSubmission(commitId: target.head, body: fallback.body, comments: []))
            return Posted(reviewId: id, folded: true)
        }
    }

    // MARK: helpers

    /// Creates the walkthrough comment, or edits ours in place; says which (or `unchanged`).
    func upsertWalkthrough(_ pullRequest: PullRequestRef, identity: AppIdentity, body: String) async throws -> String {
        let ours = try await github.issueComments(pullRequest).filter { identity.wrote($0) && ReviewMarker.isWalkthrough($0.body) }
        guard let current = ours.min(by: { $0.id < $1.id }) else {
            try await github.createIssueComment(pullRequest, body: body)
            return "created"
        }
        if current.body == body { return "unchanged" }
        try await github.updateIssueComment(pullRequest.repository, id: current.id, body: body)
        return "updated"
    }

    private func staleness(_ pull: PullRequestInfo, _ target: Target) -> String? {
        ReviewPolicy.staleness(state: pull.state, head: pull.headSha, jobHead: target.head)
    }
}
