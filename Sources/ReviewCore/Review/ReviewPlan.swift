/// The pure decisions of one review, made from what GitHub said and the repository's config:
/// whether to review at all, which files, and which findings are new. `PullRequestReviewer` fetches
/// and posts; every choice in between is made here, where a test can reach it without a server.
public enum ReviewPolicy {
    /// Why a job's head is no longer worth reviewing (closed, merged, or a newer head), or nil.
    public static func staleness(state: String, head: String, jobHead: String) -> String? {
        if state != "open" { return "the pull request is \(state)" }
        if head.lowercased() != jobHead.lowercased() { return "the head moved to \(head.prefix(12))" }
        return nil
    }

    /// Why the repository's config says not to review this pull request (draft, label), or nil.
    public static func configSkip(_ config: RepoConfig, draft: Bool, labels: [String]) -> String? {
        if config.skipDrafts && draft { return "draft pull request (skip_drafts in \(RepoConfig.path))" }
        if let label = labels.first(where: config.skipLabels.contains) { return "label \(label) is in skip_labels" }
        return nil
    }

    /// Why a review of `head` is already done, from the bodies of the reviews this App wrote, or nil.
    public static func alreadyReviewed(head: String, ourReviewBodies: [String]) -> String? {
        ourReviewBodies.contains { ReviewMarker.marksReview(of: head, $0) }
            ? "a review of \(head.prefix(12)) is already on the pull request" : nil
    }

    /// The findings not already on the pull request (by fingerprint), and how many were.
    public static func newFindings(_ findings: [Finding], known: Set<String>) -> (fresh: [Finding], duplicates: Int) {
        let fresh = findings.filter { !known.contains($0.fingerprint) }
        return (fresh, findings.count - fresh.count)
    }

    /// Whether there is nothing to post: no new findings, and either the push was incremental
    /// (silence means "nothing new in this push") or the findings are all already posted. A full
    /// review with no findings at all still posts, so the author sees the review happened.
    public static func nothingToPost(fresh: [Finding], duplicates: Int, incremental: Bool) -> Bool {
        fresh.isEmpty && (incremental || duplicates > 0)
    }
}

/// Which files one review covers and which it lists as not reviewed, with why: the review scope
/// (lockfiles, generated, binary…), the push's own files for an incremental review, the
/// repository's include/exclude globs, and the files GitHub would not show a diff for.
public struct ReviewPlan: Sendable, Equatable {
    public var diff: UnifiedDiff
    public var notReviewed: [ReviewScope.Skipped]

    /// - Parameters:
    ///   - changedByPush: for an incremental review, the paths the push changed; nil reviews all.
    ///   - withoutDiff: files in the pull request that GitHub gave no diff for, with why.
    public init(diff fullDiff: UnifiedDiff, changedByPush: Set<String>?, withoutDiff: [ReviewScope.Skipped], config: RepoConfig) {
        var files = fullDiff.files
        // Review only what the push changed; anchoring still uses the full diff GitHub accepts comments on.
        if let changedByPush { files.removeAll { !changedByPush.contains($0.path) } }
        var (scope, skipped) = ReviewScope.partition(UnifiedDiff(files: files))
        skipped += scope.files.filter { !config.includes($0.path) }.map { ReviewScope.Skipped(path: $0.path, reason: "excluded by \(RepoConfig.path)") }
        scope.files.removeAll { !config.includes($0.path) }
        diff = scope
        notReviewed = skipped + withoutDiff.filter { changedByPush?.contains($0.path) ?? true }
    }
}
