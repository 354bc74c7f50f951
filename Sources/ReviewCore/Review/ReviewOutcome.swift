/// The result kept with a completed review job.
public struct ReviewOutcome: Codable, Sendable, Equatable {
    /// How a review job ended.
    public enum Status: String, Codable, Sendable {
        case posted
        /// Nothing to post: every finding is already on the pull request.
        case nothingNew = "nothing-new"
        /// A review of this head is already on the pull request.
        case alreadyReviewed = "already-reviewed"
        /// The pull request moved on (new head, closed, merged) before the review could be posted.
        case stale
        /// The repository's config says not to review it (draft, label).
        case skipped
    }

    public var status: Status
    public var reason: String?
    public var reviewId: Int?
    public var comments: Int
    public var bodyFindings: Int
    public var duplicatesSkipped: Int
    public var notReviewed: [String]
    public var foldedAfter422: Bool
    public var modelErrors: [String]
    /// What became of the walkthrough comment: created, updated, unchanged (nil: not touched).
    public var walkthrough: String?

    public init(
        status: Status, reason: String?, reviewId: Int?, comments: Int, bodyFindings: Int, duplicatesSkipped: Int, notReviewed: [String],
        foldedAfter422: Bool, modelErrors: [String], walkthrough: String? = nil
    ) {
        self.status = status
        self.reason = reason
        self.reviewId = reviewId
        self.comments = comments
        self.bodyFindings = bodyFindings
        self.duplicatesSkipped = duplicatesSkipped
        self.notReviewed = notReviewed
        self.foldedAfter422 = foldedAfter422
        self.modelErrors = modelErrors
        self.walkthrough = walkthrough
    }

    /// An outcome that posted nothing, with why.
    public static func skipped(_ status: Status, _ reason: String) -> ReviewOutcome {
        ReviewOutcome(
            status: status, reason: reason, reviewId: nil, comments: 0, bodyFindings: 0, duplicatesSkipped: 0, notReviewed: [], foldedAfter422: false,
            modelErrors: [])
    }
}
