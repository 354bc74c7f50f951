import Foundation
import Logging
import ReviewCore

/// Reviews one pull-request head: fetch, review, anchor, de-duplicate, re-check the head, post one
/// COMMENT review — or nothing when the work is already done or out of date.
public struct PullRequestReviewer: JobProcessor {
    public let github: GitHubClient
    public let model: any ReviewModel
    public var now: @Sendable () -> Date = Date.init

    public init(github: GitHubClient, model: any ReviewModel) {
        self.github = github
        self.model = model
    }

    public func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data {
        let outcome = try await review(job, logger: logger)
        return (try? JSONEncoder.iso.encode(outcome)) ?? Data("{}".utf8)
    }

    public func review(_ job: ReviewJob, logger: Logger) async throws -> ReviewOutcome {
        let started = now()
        let pull = try await github.pullRequest(job)
        if let stale = staleness(pull, job) { return .skipped(.stale, stale) }

        let identity = try await github.tokens.identity()
        let existing = try await github.reviews(job).filter(identity.wrote)
        if existing.contains(where: { ReviewMarker.marksReview(of: job.headSha, $0.body) }) {
            return .skipped(.alreadyReviewed, "a review of \(job.headSha.prefix(12)) is already on the pull request")
        }

        var (diff, notReviewedNames) = try await github.diff(job)
        if job.kind == .incremental, let before = job.before, let after = job.after,
           let increment = try await github.compare(job, base: before, head: after) {
            // Review only what the push changed, anchored on the full diff GitHub accepts comments on.
            let changed = Set(increment.files.map(\.path))
            diff = UnifiedDiff(files: diff.files.filter { changed.contains($0.path) })
        }
        let (config, configProblems) = try await RepoConfigLoader.load(github, job: job, baseRef: pull.baseRef)
        if config.skipDrafts && pull.draft { return .skipped(.skipped, "draft pull request (skip_drafts in \(RepoConfigLoader.path))") }
        if let label = pull.labels.first(where: config.skipLabels.contains) { return .skipped(.skipped, "label \(label) is in skip_labels") }

        var (scope, skipped) = ReviewScope.partition(diff)
        let excluded = scope.files.filter { !config.includes($0.path) }
        scope.files.removeAll { !config.includes($0.path) }
        skipped += excluded.map { ReviewScope.Skipped(path: $0.path, reason: "excluded by \(RepoConfigLoader.path)") }
        let notReviewed = skipped + notReviewedNames.map { ReviewScope.Skipped(path: $0, reason: "diff too large for GitHub to show") }
        var answer = try await model.review(ReviewInput(
            title: pull.title, body: pull.body, diff: scope, instructions: config.instructions(for: scope.files.map(\.path))
        ))
        answer.findings.removeAll { !config.keeps($0) }
        let notReviewedAll = notReviewed + answer.notReviewed

        let comments = try await github.reviewComments(job).filter(identity.wrote)
        let known = Set(comments.flatMap { ReviewMarker.fingerprints(inComment: $0.body) } + existing.flatMap { ReviewMarker.fingerprints(inReview: $0.body) })
        let fresh = answer.findings.filter { !known.contains($0.fingerprint) }
        let duplicates = answer.findings.count - fresh.count
        if fresh.isEmpty, job.kind == .incremental || duplicates > 0 {
            return ReviewOutcome(
                status: .nothingNew, reason: "no findings that are not already on the pull request", reviewId: nil, comments: 0, bodyFindings: 0,
                duplicatesSkipped: duplicates, notReviewed: notReviewedAll.map(\.path), foldedAfter422: false, modelErrors: answer.errors
            )
        }

        let composer = ReviewComposer(anchorer: Anchorer(index: HunkIndex(diff)), maxComments: config.maxComments)
        let footer = ReviewComposer.Footer(
            provider: answer.provider, model: answer.model, usage: answer.usage, latencyMs: Int(now().timeIntervalSince(started) * 1000)
        )
        let composed = composer.compose(
            findings: fresh,
            summary: answer.summary, configProblems: configProblems,
            headSha: job.headSha, notReviewed: notReviewedAll, footer: footer, reviewedFiles: scope.files.count
        )

        // The head may have moved while we worked: a review pinned to an old commit helps nobody.
        let latest = try await github.pullRequest(job)
        if let stale = staleness(latest, job) { return .skipped(.stale, stale) }

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
            if let stale = staleness(try await github.pullRequest(job), job) { return .skipped(.stale, stale) }
            throw error
        }
        return ReviewOutcome(
            status: .posted, reason: nil, reviewId: reviewId, comments: folded ? 0 : composed.comments.count,
            bodyFindings: composed.bodyFindings.count + (folded ? composed.comments.count : 0), duplicatesSkipped: duplicates,
            notReviewed: notReviewedAll.map(\.path), foldedAfter422: folded, modelErrors: answer.errors
        )
    }

    private func staleness(_ pull: PullRequestInfo, _ job: ReviewJob) -> String? {
        if pull.state != "open" { return "the pull request is \(pull.state)" }
        if pull.headSha.lowercased() != job.headSha { return "the head moved to \(pull.headSha.prefix(12))" }
        return nil
    }
}
