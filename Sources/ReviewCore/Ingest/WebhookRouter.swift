import Foundation

/// What a verified delivery asks of the system, decided from its event, action and payload.
public enum RouteDecision: Sendable, Equatable {
    /// Queue this review job.
    case enqueue(ReviewJob)
    /// Retire the waiting jobs of this pull request (`ReviewJob.pullRequestKey`).
    case cancel(pullRequestKey: String, reason: String)
    /// GitHub's ping on hook creation.
    case ping(zen: String?)
    /// The installation is gone or suspended: forget its cached token.
    case dropInstallationToken(installationId: Int, reason: String)
    /// Nothing to do, and why.
    case ignore(reason: String)
}

/// Which deliveries become review jobs, per the routing table in docs/ARCHITECTURE.md.
public struct WebhookRouter: Sendable {
    /// Which pull requests are reviewed automatically beyond the defaults.
    public struct Options: Sendable, Equatable {
        /// Review draft pull requests too (default: skip them until ready for review).
        public var reviewDrafts: Bool
        /// Review pull requests opened or pushed by bots (default: skip them).
        public var reviewBotSenders: Bool

        /// The App's slug, for `@slug` commands; nil: only `/command` lines are commands.
        public var appSlug: String?
        /// Who may give commands (`author_association` values).
        public var commandAssociations: Set<String>

        public static let defaultCommandAssociations: Set<String> = ["OWNER", "MEMBER", "COLLABORATOR"]

        public init(
            reviewDrafts: Bool = false, reviewBotSenders: Bool = false, appSlug: String? = nil,
            commandAssociations: Set<String> = Options.defaultCommandAssociations
        ) {
            self.reviewDrafts = reviewDrafts
            self.reviewBotSenders = reviewBotSenders
            self.appSlug = appSlug
            self.commandAssociations = commandAssociations
        }
    }

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Routes one delivery whose signature has already been checked.
    public func route(event: String, deliveryID: String, payload: JSONValue, now: Date) throws(ReviewError) -> RouteDecision {
        guard case .object = payload else {
            throw .badInput("body must be a JSON object, found \(payload.typeName)")
        }
        let reader = JSONFieldReader(payload)
        switch event {
        case "ping":
            return .ping(zen: try reader.optionalString("zen"))
        case "pull_request":
            return try routePullRequest(reader, deliveryID: deliveryID, now: now)
        case "issue_comment":
            return try routeIssueComment(reader, deliveryID: deliveryID, now: now)
        case "pull_request_review_comment":
            return try routeReviewComment(reader, deliveryID: deliveryID, now: now)
        case "installation":
            let action = try reader.string("action")
            guard action == "deleted" || action == "suspend" else {
                return .ignore(reason: "installation action '\(action)' needs nothing from the reviewer")
            }
            return .dropInstallationToken(installationId: try reader.int("installation.id"), reason: "installation \(action)")
        default:
            guard Self.knownEvents.contains(event) else {
                throw .badInput("unknown X-GitHub-Event '\(event.prefix(64))'")
            }
            return .ignore(reason: "event '\(event)' is not reviewed")
        }
    }

    private func routePullRequest(_ reader: JSONFieldReader, deliveryID: String, now: Date) throws(ReviewError) -> RouteDecision {
        let action = try reader.string("action")
        _ = try reader.object("pull_request")
        let installationId = try reader.int("installation.id")
        let owner = try reader.string("repository.owner.login")
        let repo = try reader.string("repository.name")
        let number = try reader.int("pull_request.number")
        let headSha = try Self.commitSHA(reader, "pull_request.head.sha")
        let baseSha = try Self.commitSHA(reader, "pull_request.base.sha")
        guard !owner.isEmpty, !repo.isEmpty, number > 0, installationId > 0 else {
            throw .badInput("fields repository.owner.login, repository.name, pull_request.number and installation.id must be non-empty and positive")
        }
        let pullRequest = PullRequestRef(owner: owner, repo: repo, number: number, installationId: installationId)
        func review(incremental: Bool) -> ReviewJob {
            ReviewJob(pullRequest, .review(.init(head: headSha, base: baseSha, incremental: incremental)), deliveryId: deliveryID, enqueuedAt: now)
        }
        let job = review(incremental: false)

        switch action {
        case "opened", "reopened", "ready_for_review":
            return try reviewUnlessSkipped(job, reader)
        case "synchronize":
            // What changed is measured from the last head this App reviewed, not the push's `before`.
            return try reviewUnlessSkipped(review(incremental: true), reader)
        case "edited":
            guard reader.value(at: "changes.base") != nil else {
                return .ignore(reason: "pull_request edited without a base change is not reviewed")
            }
            return try reviewUnlessSkipped(job, reader)
        case "closed":
            return .cancel(pullRequestKey: job.pullRequestKey, reason: "pull request closed")
        default:
            return .ignore(reason: "pull_request action '\(action.prefix(64))' is not reviewed")
        }
    }

    /// A comment on a pull request's conversation: a command when a line addresses the App.
    private func routeIssueComment(_ reader: JSONFieldReader, deliveryID: String, now: Date) throws(ReviewError) -> RouteDecision {
        let action = try reader.string("action")
        guard action == "created" else { return .ignore(reason: "issue_comment action '\(action.prefix(64))' is not a command") }
        guard reader.value(at: "issue.pull_request") != nil else { return .ignore(reason: "issue_comment on an issue, not a pull request") }
        if let bot = try Self.botAuthor(reader) { return .ignore(reason: "issue_comment by \(bot), a bot: commands from bots are ignored") }
        let body = try reader.optionalString("comment.body") ?? ""
        guard let command = CommandParser.parse(body, slug: options.appSlug) else {
            return .ignore(reason: "issue_comment holds no command for the reviewer")
        }
        let comment = try commentRequest(reader, text: "", inReviewThread: false)
        return .enqueue(try commentJob(reader, number: try reader.int("issue.number"), work: .command(command, comment), deliveryID: deliveryID, now: now))
    }

    /// A review comment: a reply in a review thread is answered when the thread is the reviewer's
    /// (checked by review-job) and it mentions the App, or the repository asks for every reply.
    private func routeReviewComment(_ reader: JSONFieldReader, deliveryID: String, now: Date) throws(ReviewError) -> RouteDecision {
        let action = try reader.string("action")
        guard action == "created" else { return .ignore(reason: "pull_request_review_comment action '\(action.prefix(64))' needs no answer") }
        guard let root = reader.value(at: "comment.in_reply_to_id"), case .number(let rootId) = root, rootId > 0 else {
            return .ignore(reason: "pull_request_review_comment that starts a thread needs no answer")
        }
        if let bot = try Self.botAuthor(reader) { return .ignore(reason: "pull_request_review_comment by \(bot), a bot: never answered") }
        let body = try reader.optionalString("comment.body") ?? ""
        let comment = try commentRequest(reader, text: String(body.prefix(4_000)), inReviewThread: true)
        return .enqueue(
            try commentJob(
                reader, number: try reader.int("pull_request.number"), work: .reply(threadRoot: Int(rootId), comment), deliveryID: deliveryID, now: now))
    }

    private func commentRequest(
        _ reader: JSONFieldReader, text: String, inReviewThread: Bool
    ) throws(ReviewError)
        -> ReviewJob.Comment
    {
        let association = (try reader.optionalString("comment.author_association") ?? "NONE").uppercased()
        let body = try reader.optionalString("comment.body") ?? ""
        var comment = ReviewJob.Comment(
            id: try reader.int("comment.id"), author: try reader.optionalString("comment.user.login") ?? "ghost", association: association,
            allowed: options.commandAssociations.contains(association), text: text, mentioned: CommandParser.mentions(body, slug: options.appSlug),
            inReviewThread: inReviewThread
        )
        // Only a time in GitHub's own form is kept: it goes into a query.
        comment.createdAt = (try? reader.optionalString("comment.created_at")).flatMap { $0 }.flatMap {
            $0.count <= 40 && ISO8601DateFormatter().date(from: $0) != nil ? $0 : nil
        }
        return comment
    }

    private func commentJob(
        _ reader: JSONFieldReader, number: Int, work: ReviewJob.Work, deliveryID: String, now: Date
    )
        throws(ReviewError) -> ReviewJob
    {
        let installationId = try reader.int("installation.id")
        let owner = try reader.string("repository.owner.login")
        let repo = try reader.string("repository.name")
        guard !owner.isEmpty, !repo.isEmpty, number > 0, installationId > 0, (work.comment?.id ?? 0) > 0 else {
            throw .badInput("fields repository.owner.login, repository.name, the number, comment.id and installation.id must be non-empty and positive")
        }
        return ReviewJob(
            PullRequestRef(owner: owner, repo: repo, number: number, installationId: installationId), work, deliveryId: deliveryID, enqueuedAt: now)
    }

    /// The comment's author when it is a bot (ours included), so the reviewer never answers itself.
    private static func botAuthor(_ reader: JSONFieldReader) throws(ReviewError) -> String? {
        let login = try reader.optionalString("comment.user.login") ?? ""
        let type = try reader.optionalString("comment.user.type") ?? ""
        return type == "Bot" || login.hasSuffix("[bot]") ? login : nil
    }

    private func reviewUnlessSkipped(_ job: ReviewJob, _ reader: JSONFieldReader) throws(ReviewError) -> RouteDecision {
        if try reader.string("pull_request.state") == "closed" {
            return .ignore(reason: "pull request is closed")
        }
        if !options.reviewDrafts, try reader.bool("pull_request.draft", default: false) {
            return .ignore(reason: "draft pull request (set REVIEW_DRAFTS=true to review drafts)")
        }
        if !options.reviewBotSenders {
            let login = try reader.optionalString("sender.login") ?? ""
            let type = try reader.optionalString("sender.type") ?? ""
            if type == "Bot" || login.hasSuffix("[bot]") {
                return .ignore(reason: "sender \(login) is a bot (set REVIEW_BOT_SENDERS=true to review bot pull requests)")
            }
        }
        return .enqueue(job)
    }

    private static func commitSHA(_ reader: JSONFieldReader, _ path: String) throws(ReviewError) -> String {
        let sha = try reader.string(path)
        guard sha.count == 40 || sha.count == 64, sha.allSatisfy(\.isHexDigit) else {
            throw .badInput("field \(path) must be a 40- or 64-character hex commit SHA")
        }
        return sha.lowercased()
    }

    /// GitHub's webhook event names: a known event we do not review is ignored, an unknown one is an error.
    public static let knownEvents: Set<String> = [
        "branch_protection_configuration", "branch_protection_rule", "check_run", "check_suite", "code_scanning_alert",
        "commit_comment", "create", "custom_property", "custom_property_values", "delete", "dependabot_alert",
        "deploy_key", "deployment", "deployment_protection_rule", "deployment_review", "deployment_status",
        "discussion", "discussion_comment", "fork", "github_app_authorization", "gollum", "installation",
        "installation_repositories", "installation_target", "issue_comment", "issues", "label", "marketplace_purchase",
        "member", "membership", "merge_group", "meta", "milestone", "org_block", "organization", "package",
        "page_build", "personal_access_token_request", "ping", "project", "project_card", "project_column",
        "projects_v2", "projects_v2_item", "projects_v2_status_update", "public", "pull_request",
        "pull_request_review", "pull_request_review_comment", "pull_request_review_thread", "push",
        "registry_package", "release", "repository", "repository_advisory", "repository_dispatch",
        "repository_import", "repository_ruleset", "repository_vulnerability_alert", "secret_scanning_alert",
        "secret_scanning_alert_location", "secret_scanning_scan", "security_advisory", "security_and_analysis",
        "sponsorship", "star", "status", "sub_issues", "team", "team_add", "watch", "workflow_dispatch",
        "workflow_job", "workflow_run",
    ]
}
