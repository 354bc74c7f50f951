import Foundation
import ReviewCore
import ReviewTesting
import Testing

@Suite struct WebhookRouterTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000)

    func route(_ event: String, _ file: String, options: WebhookRouter.Options = .init()) throws -> RouteDecision {
        let payload = try JSONValue.parse(try WebhookFixtures.payload(event, file))
        return try WebhookRouter(options: options).route(event: event, deliveryID: "d-1", payload: payload, now: now)
    }

    @Test(arguments: ["opened.payload.json", "reopened.payload.json", "ready_for_review.with-installation.payload.json", "opened.with-null-body.json"])
    func fullReviewActions(_ file: String) throws {
        guard case .enqueue(let job) = try route("pull_request", file) else { Issue.record("not enqueued"); return }
        let review = try #require(job.review)
        #expect(!review.incremental && job.kindName == "full")
        #expect(job.pullRequest == PullRequestRef(owner: "Codertocat", repo: "Hello-World", number: 2, installationId: 1))
        #expect(review.head.hasPrefix("ec26c3e5") && review.head.count == 40 && review.base.count == 40)
        #expect(job.id == "Codertocat%2FHello-World%232%40" + review.head)
        #expect(job.deliveryId == "d-1" && job.enqueuedAt == now)
    }

    @Test func synchronizeIsIncremental() throws {
        guard case .enqueue(let job) = try route("pull_request", "synchronize.payload.json") else { Issue.record("not enqueued"); return }
        // What changed is measured from the last head reviewed, so the push's before/after are not kept.
        #expect(job.review?.incremental == true && job.kindName == "incremental")
    }

    @Test func closedCancels() throws {
        #expect(try route("pull_request", "closed.payload.json") == .cancel(pullRequestKey: "Codertocat%2FHello-World%232", reason: "pull request closed"))
    }

    @Test(arguments: [
        "assigned", "converted_to_draft.with-installation", "labeled", "locked", "review_request_removed", "review_requested", "unassigned", "unlabeled",
        "unlocked",
    ])
    func otherActionsAreIgnored(_ name: String) throws {
        guard case .ignore(let reason) = try route("pull_request", "\(name).payload.json") else { Issue.record("not ignored"); return }
        #expect(reason.contains("is not reviewed"))
    }

    @Test(arguments: ["ready_for_review.payload.json", "converted_to_draft.payload.json"])
    func pullRequestWithoutInstallationIsRejected(_ file: String) {
        #expect(throws: ReviewError.badInput("missing field installation.id")) { try route("pull_request", file) }
    }

    @Test func draftsAndBotsAreSkippedUnlessConfigured() throws {
        var payload = try JSONValue.parse(try WebhookFixtures.payload("pull_request", "opened.payload.json"))
        guard case .object(var root) = payload, case .object(var pr) = root["pull_request"], case .object(var sender) = root["sender"] else {
            Issue.record("the fixture has no pull_request or sender object")
            return
        }
        pr["draft"] = .bool(true)
        root["pull_request"] = .object(pr)
        payload = .object(root)
        let router = WebhookRouter()
        guard case .ignore(let reason) = try router.route(event: "pull_request", deliveryID: "d", payload: payload, now: now) else { Issue.record(); return }
        #expect(reason.contains("draft"))
        let drafts = WebhookRouter(options: .init(reviewDrafts: true))
        guard case .enqueue = try drafts.route(event: "pull_request", deliveryID: "d", payload: payload, now: now) else { Issue.record(); return }

        pr["draft"] = .bool(false)
        sender["type"] = .string("Bot")
        sender["login"] = .string("dependabot[bot]")
        root["pull_request"] = .object(pr)
        root["sender"] = .object(sender)
        guard case .ignore(let botReason) = try router.route(event: "pull_request", deliveryID: "d", payload: .object(root), now: now) else {
            Issue.record(); return
        }
        #expect(botReason.contains("bot"))
        let bots = WebhookRouter(options: .init(reviewBotSenders: true))
        guard case .enqueue = try bots.route(event: "pull_request", deliveryID: "d", payload: .object(root), now: now) else { Issue.record(); return }
    }

    @Test func editedOnlyWithBaseChange() throws {
        var root = try #require(try JSONValue.parse(try WebhookFixtures.payload("pull_request", "opened.payload.json")).objectValue)
        root["action"] = .string("edited")
        root["changes"] = .object(["title": .object(["from": .string("old")])])
        guard case .ignore = try WebhookRouter().route(event: "pull_request", deliveryID: "d", payload: .object(root), now: now) else { Issue.record(); return }
        root["changes"] = .object(["base": .object(["ref": .object(["from": .string("main")])])])
        guard case .enqueue(let job) = try WebhookRouter().route(event: "pull_request", deliveryID: "d", payload: .object(root), now: now) else {
            Issue.record(); return
        }
        #expect(job.review?.incremental == false)
    }

    @Test func installationDeletionDropsToken() throws {
        #expect(try route("installation", "deleted.payload.json") == .dropInstallationToken(installationId: 2, reason: "installation deleted"))
        #expect(try route("installation", "suspend.payload.json") == .dropInstallationToken(installationId: 16_598_467, reason: "installation suspend"))
        guard case .ignore = try route("installation", "created.payload.json") else { Issue.record(); return }
    }

    @Test func pingAndOtherEvents() throws {
        guard case .ping = try route("ping", "payload.json") else { Issue.record(); return }
        for (event, file) in [
            ("issue_comment", "created.payload.json"), ("pull_request_review", "submitted.payload.json"),
            ("pull_request_review_comment", "created.payload.json"), ("installation_repositories", "added.payload.json"),
        ] {
            guard case .ignore(let reason) = try route(event, file) else { Issue.record("\(event) not ignored"); continue }
            #expect(reason.contains(event))
        }
    }

    @Test func unknownEventIsAnError() {
        #expect(throws: ReviewError.badInput("unknown X-GitHub-Event 'made_up'")) {
            try WebhookRouter().route(event: "made_up", deliveryID: "d", payload: .object([:]), now: now)
        }
    }

    @Test func invalidFieldsAreNamed() throws {
        var root = try #require(try JSONValue.parse(try WebhookFixtures.payload("pull_request", "opened.payload.json")).objectValue)
        guard case .object(var pr) = root["pull_request"], case .object(var head) = pr["head"] else {
            Issue.record("the fixture has no pull_request.head object")
            return
        }
        head["sha"] = nil
        pr["head"] = .object(head)
        root["pull_request"] = .object(pr)
        #expect(throws: ReviewError.badInput("missing field pull_request.head.sha")) {
            try WebhookRouter().route(event: "pull_request", deliveryID: "d", payload: .object(root), now: now)
        }
        pr["number"] = .string("2")
        head["sha"] = .string("ec26c3e57ca3a959ca5aad62de7213c562f8c821")
        pr["head"] = .object(head)
        root["pull_request"] = .object(pr)
        #expect(throws: ReviewError.badInput("field pull_request.number must be an integer, found string")) {
            try WebhookRouter().route(event: "pull_request", deliveryID: "d", payload: .object(root), now: now)
        }
    }
}

@Suite struct CommentRoutingTests {
    let now = Date(timeIntervalSince1970: 1_764_000_000)
    let options = WebhookRouter.Options(appSlug: "pr-review")

    /// GitHub's example issue comment, moved onto a pull request with `body`, by `login`.
    func issueComment(
        _ body: String, login: String = "Codertocat", type: String = "User", association: String = "OWNER", action: String = "created"
    )
        throws -> JSONValue
    {
        guard case .object(var root) = try JSONValue.parse(try WebhookFixtures.payload("issue_comment", "created.with-installation.payload.json")),
            case .object(var issue)? = root["issue"], case .object(var comment)? = root["comment"]
        else { throw TestSetupError("unexpected fixture") }
        issue["pull_request"] = .object(["url": .string("https://api.github.com/repos/Codertocat/Hello-World/pulls/1")])
        comment["body"] = .string(body)
        comment["user"] = .object(["login": .string(login), "type": .string(type)])
        comment["author_association"] = .string(association)
        root["issue"] = .object(issue)
        root["comment"] = .object(comment)
        root["action"] = .string(action)
        return .object(root)
    }

    func route(_ event: String, _ payload: JSONValue) throws -> RouteDecision {
        try WebhookRouter(options: options).route(event: event, deliveryID: "d-1", payload: payload, now: now)
    }

    @Test func aCommandOnAPullRequestIsACommandJob() throws {
        guard case .enqueue(let job) = try route("issue_comment", try issueComment("@pr-review full review")) else {
            Issue.record("not enqueued")
            return
        }
        guard case .command(let command, let comment) = job.work else { Issue.record("not a command job: \(job.work)"); return }
        #expect(command == .fullReview && comment.allowed && !comment.inReviewThread)
        #expect(job.id == JobID.encode("Codertocat/Hello-World#1/comment/\(comment.id)"))
        // One comment is one job, whichever delivery brings it.
        guard
            case .enqueue(let again) = try WebhookRouter(options: options).route(
                event: "issue_comment", deliveryID: "d-2", payload: try issueComment("@pr-review full review"), now: now)
        else { Issue.record("not enqueued"); return }
        #expect(again.id == job.id)
    }

    @Test func whoMayCommandIsDecidedAtRouting() throws {
        guard case .enqueue(let job) = try route("issue_comment", try issueComment("/review", association: "NONE")) else {
            Issue.record("not enqueued"); return
        }
        #expect(job.comment?.allowed == false && job.comment?.association == "NONE")
    }

    @Test(arguments: [
        ("@pr-review review", "pr-review[bot]", "Bot", "created", "bot"),
        ("@pr-review review", "dependabot[bot]", "Bot", "created", "bot"),
        ("nice work", "Codertocat", "User", "created", "no command"),
        ("@pr-review review", "Codertocat", "User", "edited", "edited"),
    ])
    func commentsThatAreNoCommandsAreIgnored(_ body: String, _ login: String, _ type: String, _ action: String, _ reason: String) throws {
        guard case .ignore(let why) = try route("issue_comment", try issueComment(body, login: login, type: type, action: action)) else {
            Issue.record("not ignored"); return
        }
        #expect(why.contains(reason), "\(why)")
    }

    @Test func aReplyInAReviewThreadIsAReplyJob() throws {
        guard case .object(var root) = try JSONValue.parse(try WebhookFixtures.payload("pull_request_review_comment", "created.payload.json")),
            case .object(var comment)? = root["comment"]
        else { throw TestSetupError("unexpected fixture") }
        comment["in_reply_to_id"] = .number(77)
        comment["body"] = .string("@pr-review why?")
        root["comment"] = .object(comment)
        guard case .enqueue(let job) = try route("pull_request_review_comment", .object(root)) else { Issue.record("not enqueued"); return }
        guard case .reply(let root, let comment) = job.work else { Issue.record("not a reply job: \(job.work)"); return }
        #expect(root == 77 && comment.mentioned && comment.inReviewThread)
        #expect(job.comment?.text == "@pr-review why?")
    }
}
