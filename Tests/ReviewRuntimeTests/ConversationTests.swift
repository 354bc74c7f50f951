import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// Talking to the reviewer from the pull request, end to end: deliveries signed as GitHub signs
/// them go through webhook-ingest into a real queue (redis-server behind redis-rest), review-job
/// drains it against the GitHub stand-in.
@Suite struct ConversationTests {
    static let key = "sindresorhus/ky#731"
    static let heads = ["a1", "b2", "c3", "d4"].map { String(repeating: $0, count: 20) }
    static let firstSecret = SyntheticPullRequest.File("config/aws.ts", [#"export const key = "AKIAABCDEFGHIJKLMNOP";"#])
    static let secondSecret = SyntheticPullRequest.File("config/more.ts", [#"export const other = "AKIAQRSTUVWXYZ234567";"#])

    /// One pull request, its queue, ingest and a worker, all talking over loopback.
    struct World {
        let harness: RedisHarness
        let app: GitHubTestApp
        let queue: RedisJobQueue
        let ingest: WebhookIngestHandler
        let drainer: JobDrainer

        static func with(model: any ReviewModel = RulesModel(), _ body: (World) async throws -> Void) async throws {
            try await RedisHarness.with { harness in
                let app = try await GitHubTestApp.start()
                var env = harness.environment()
                env["GITHUB_WEBHOOK_SECRET"] = WebhookFixtures.secret
                env["GITHUB_APP_SLUG"] = GitHubStandIn.appSlug
                let config = try IngestConfig.load(EnvironmentReader(env))
                let queue = RedisJobQueue(redis: harness.client(), settings: config.queue)
                let reviewer = PullRequestReviewer(github: app.client(queue: queue), model: model, queue: queue)
                let world = World(
                    harness: harness, app: app, queue: queue, ingest: WebhookIngestHandler(config: config),
                    drainer: JobDrainer(queue: queue, processor: reviewer, concurrency: 1, deadlineMargin: 0))
                do {
                    try await body(world)
                    await app.stop()
                } catch {
                    await app.stop()
                    throw error
                }
            }
        }

        /// Serves the pull request at `head` with these files (a push when it was served before).
        func push(_ files: [SyntheticPullRequest.File], head: String, body: String = "") throws {
            app.standIn.serve(try SyntheticPullRequest.write(files, head: head, body: body))
        }

        @discardableResult
        func deliver(_ event: String, _ payload: Data, delivery: String = UUID().uuidString) async -> IngestResponse {
            await ingest.ingest(
                WebhookRequest(headers: WebhookFixtures.headers(event: event, body: payload, delivery: delivery), body: payload), logger: .quiet)
        }

        @discardableResult
        func drain() async throws -> DrainReport { try await drainer.drain(deadline: Date() + 600, logger: .quiet) }

        /// A `pull_request` delivery for the served head (`synchronize` carries the push's before and after).
        func pullRequestEvent(_ action: String, head: String, before: String? = nil, body: String = "") throws -> Data {
            guard case .object(var root) = try JSONValue.parse(WebhookFixtures.opened(for: PullRequestFixture.named("ky-small-single-file-edit"))),
                case .object(var pr)? = root["pull_request"], case .object(var headObject)? = pr["head"]
            else { throw TestSetupError("unexpected opened payload") }
            root["action"] = .string(action)
            headObject["sha"] = .string(head)
            pr["head"] = .object(headObject)
            pr["body"] = .string(body)
            root["pull_request"] = .object(pr)
            if let before {
                root["before"] = .string(before)
                root["after"] = .string(head)
            }
            return try JSONEncoder().encode(JSONValue.object(root))
        }

        /// GitHub's example delivery `event/file`, moved onto ky #731 (installation 42) with `comment`'s fields set.
        static func delivery(_ event: String, _ file: String, comment fields: [String: JSONValue], inIssue: Bool) throws -> Data {
            guard case .object(var root) = try JSONValue.parse(WebhookFixtures.payload(event, file)), case .object(var comment)? = root["comment"],
                case .object(var repository)? = root["repository"], case .object(var owner)? = repository["owner"],
                case .object(var container)? = root[inIssue ? "issue" : "pull_request"]
            else { throw TestSetupError("unexpected \(event) payload") }
            comment.merge(fields) { $1 }
            container["number"] = .number(731)
            if inIssue { container["pull_request"] = .object(["url": .string("https://api.github.com/repos/sindresorhus/ky/pulls/731")]) }
            owner["login"] = .string("sindresorhus")
            repository["owner"] = .object(owner)
            repository["name"] = .string("ky")
            root[inIssue ? "issue" : "pull_request"] = .object(container)
            root["comment"] = .object(comment)
            root["repository"] = .object(repository)
            root["installation"] = .object(["id": .number(42)])
            return try JSONEncoder().encode(JSONValue.object(root))
        }

        /// An `issue_comment` created on the pull request (it exists on the stand-in); returns the payload and the comment's id.
        func comment(_ text: String, login: String = "octocat", type: String = "User", association: String = "MEMBER") throws -> (Data, Int) {
            let id = app.standIn.addIssueCommentByOther(ConversationTests.key, body: text, login: login, type: type, association: association)
            let fields: [String: JSONValue] = [
                "id": .number(Double(id)), "body": .string(text), "user": .object(["login": .string(login), "type": .string(type)]),
                "author_association": .string(association), "created_at": .string(ISO8601DateFormatter().string(from: Date())),
            ]
            return (try Self.delivery("issue_comment", "created.with-installation.payload.json", comment: fields, inIssue: true), id)
        }

        /// A reply in a review thread, as GitHub delivers it (the comment exists on the stand-in).
        func reply(_ text: String, to root: Int, path: String, association: String = "MEMBER", login: String = "octocat") throws -> Data {
            let id = app.standIn.addReviewCommentByOther(
                ConversationTests.key, path: path, body: text, login: login, inReplyTo: root, association: association)
            let fields: [String: JSONValue] = [
                "id": .number(Double(id)), "in_reply_to_id": .number(Double(root)), "body": .string(text), "path": .string(path),
                "author_association": .string(association), "user": .object(["login": .string(login), "type": .string("User")]),
            ]
            return try Self.delivery("pull_request_review_comment", "created.payload.json", comment: fields, inIssue: false)
        }

        /// The pull request reviewed with two findings, each starting one of the reviewer's threads
        /// (their first comments), and a drainer whose reviewer answers with `model`.
        func reviewedWithTwoThreads(answeringWith model: any ReviewModel) async throws -> (ours: [Int], answering: JobDrainer) {
            try push([ConversationTests.firstSecret, ConversationTests.secondSecret], head: ConversationTests.heads[0])
            await deliver("pull_request", try pullRequestEvent("opened", head: ConversationTests.heads[0]))
            try await drain()
            let ours = app.standIn.reviewComments(ConversationTests.key).filter { $0.author == "pr-review[bot]" && $0.inReplyTo == nil }.map(\.id)
            try #require(ours.count == 2)
            let answering = JobDrainer(
                queue: queue, processor: PullRequestReviewer(github: app.client(queue: queue), model: model, queue: queue), concurrency: 1, deadlineMargin: 0)
            return (ours, answering)
        }

        /// Replies to the reviewer's threads, in the order asked.
        var botReplies: [(id: Int, body: String, author: String, inReplyTo: Int?)] {
            app.standIn.reviewComments(ConversationTests.key).filter { $0.author == "pr-review[bot]" && $0.inReplyTo != nil }
        }

        var reviews: [GitHubStandIn.RecordedReview] { app.standIn.reviews(ConversationTests.key) }
        /// Our answers to comment `id`.
        func answers(to id: Int) -> [String] {
            app.standIn.issueComments(ConversationTests.key).filter { $0.author == "pr-review[bot]" && ReviewMarker.answeredComment($0.body) == id }.map(\.body)
        }
        var walkthroughs: [String] {
            app.standIn.issueComments(ConversationTests.key).filter { $0.author == "pr-review[bot]" && ReviewMarker.isWalkthrough($0.body) }.map(\.body)
        }
    }

    @Test func reviewAfterAPushPostsOnlyTheNewFindings() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            await world.deliver("pull_request", try world.pullRequestEvent("opened", head: Self.heads[0]))
            try await world.drain()
            try world.push([Self.firstSecret, Self.secondSecret], head: Self.heads[1])  // pushed, no delivery (e.g. missed)
            let (payload, id) = try world.comment("@pr-review review")
            let answer = await world.deliver("issue_comment", payload)
            #expect(answer.status == .queued)
            try await world.drain()
            let reviews = world.reviews
            try #require(reviews.count == 2)
            #expect(reviews[1].commitId == Self.heads[1])
            #expect(reviews[1].comments.compactMap { $0["path"]?.stringValue } == ["config/more.ts"])
            #expect(world.answers(to: id).isEmpty, "a review that posted is its own answer")
            #expect(world.app.standIn.reactions.contains("issues \(id) eyes"))
        }
    }

    @Test func pauseStopsTheNextPushAndResumeRestartsIt() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            await world.deliver("pull_request", try world.pullRequestEvent("opened", head: Self.heads[0]))
            try await world.drain()
            let (pause, pauseId) = try world.comment("/pause")
            await world.deliver("issue_comment", pause)
            try await world.drain()
            #expect(world.answers(to: pauseId).first?.contains("paused") == true)

            try world.push([Self.firstSecret, Self.secondSecret], head: Self.heads[1])
            let paused = await world.deliver("pull_request", try world.pullRequestEvent("synchronize", head: Self.heads[1], before: Self.heads[0]))
            #expect(paused.status == .ignored && paused.reason?.contains("paused") == true)
            try await world.drain()
            #expect(world.reviews.count == 1)

            let (resume, resumeId) = try world.comment("@pr-review resume")
            await world.deliver("issue_comment", resume)
            try await world.drain()
            #expect(world.answers(to: resumeId).count == 1)
            try world.push([Self.firstSecret, Self.secondSecret, SyntheticPullRequest.File("src/x.ts", ["export const y = 2;"])], head: Self.heads[2])
            let resumed = await world.deliver("pull_request", try world.pullRequestEvent("synchronize", head: Self.heads[2], before: Self.heads[1]))
            #expect(resumed.status == .queued)
            try await world.drain()
            #expect(world.reviews.map(\.commitId) == [Self.heads[0], Self.heads[2]])
        }
    }

    @Test func ignoreInTheDescriptionSkipsAutomaticReviewsButNotCommands() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0], body: "Work in progress.\n\n@pr-review ignore\n")
            await world.deliver("pull_request", try world.pullRequestEvent("opened", head: Self.heads[0]))
            let report = try await world.drain()
            #expect(report.jobs.map(\.outcome) == [.completed] && world.reviews.isEmpty)
            let (payload, _) = try world.comment("@pr-review review")
            await world.deliver("issue_comment", payload)
            try await world.drain()
            #expect(world.reviews.count == 1)
        }
    }

    @Test func askPostsOneReplyFromTheModel() async throws {
        let standIn = try await ModelStandIn.start([.findings(#"{"answer":"It retries twice, then <b>gives up</b>."}"#)])
        let model = LLMConfig.load(
            EnvironmentReader([
                "LLM_PROVIDER": "openai", "LLM_BASE_URL": standIn.url.absoluteString + "/v1", "LLM_API_KEY": "sk-test", "LLM_MODEL": "test-model",
            ])
        ).makeModel(transport: AsyncHTTPClientTransport())
        try await World.with(model: model) { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            let (payload, id) = try world.comment("@pr-review ask how often does it retry?\nAnd then?")
            let delivery = UUID().uuidString
            await world.deliver("issue_comment", payload, delivery: delivery)
            let again = await world.deliver("issue_comment", payload, delivery: delivery)
            #expect(again.status == .duplicate)
            try await world.drain()
            let answers = world.answers(to: id)
            #expect(answers.count == 1)
            #expect(answers.first?.contains("It retries twice, then &lt;b&gt;gives up&lt;/b&gt;.") == true, "\(answers)")
            let prompt = String(decoding: standIn.requests.last?.body ?? Data(), as: UTF8.self)
            #expect(prompt.contains("how often does it retry?\\nAnd then?") && prompt.contains("answer_question"))
        }
        await standIn.stop()
    }

    @Test func aReadOnlyUserIsRefusedAndOurOwnCommentsDoNothing() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            let (stranger, strangerId) = try world.comment("@pr-review full review", login: "drive-by", association: "NONE")
            await world.deliver("issue_comment", stranger)
            let (ours, _) = try world.comment("Comment `@pr-review review` to me.\n@pr-review review", login: "pr-review[bot]", type: "Bot")
            let ignored = await world.deliver("issue_comment", ours)
            #expect(ignored.status == .ignored && ignored.reason?.contains("bot") == true)
            let report = try await world.drain()
            #expect(report.jobs.count == 1)
            #expect(world.answers(to: strangerId).first?.contains("only users with write access") == true)
            #expect(world.reviews.isEmpty)
        }
    }

    /// 300 commands by someone without write access: a day's 20 are queued, one refusal is posted
    /// on the pull request, every other queued comment costs one reaction, and the rest cost nothing.
    @Test func aStrangersFloodCostsOneRefusalAndAReactionEach() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            var statuses: [IngestResponse.Status: Int] = [:]
            for n in 1...300 {
                let (payload, _) = try world.comment("@pr-review full review \(n)", login: "drive-by", association: "NONE")
                statuses[await world.deliver("issue_comment", payload).status, default: 0] += 1
            }
            #expect(statuses[.queued] == 20 && statuses[.ignored] == 280, "\(statuses)")
            let before = world.app.standIn.requestLog.count
            let report = try await world.drain()
            #expect(report.jobs.count == 20 && report.jobs.allSatisfy { $0.outcome == .completed })
            let calls = world.app.standIn.requestLog.dropFirst(before)
            let refusals = world.app.standIn.issueComments(ConversationTests.key).filter { $0.author == "pr-review[bot]" }
            #expect(refusals.count == 1 && refusals[0].body.contains("only users with write access"))
            #expect(calls.filter { $0.hasPrefix("POST ") && $0.hasSuffix("/reactions") }.count == 20)
            // No conversation listing, no review: a reaction each, one refusal, the App's identity and a token.
            #expect(!calls.contains { $0.hasPrefix("GET ") && $0.hasSuffix("/comments") }, "\(calls)")
            #expect(calls.count <= 20 + 1 + 3, "\(calls.count) GitHub calls: \(Array(calls))")
            // Someone else on the same pull request still has a budget of their own.
            let (other, _) = try world.comment("@pr-review review", login: "another", association: "NONE")
            #expect(await world.deliver("issue_comment", other).status == .queued)
            #expect(world.reviews.isEmpty)
        }
    }

    /// COLLABORATOR includes read and triage collaborators: GitHub's role decides, asked once an hour.
    @Test func aTriageCollaboratorIsRefusedWhatAWriterMayDo() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            world.app.standIn.setRole("triager", "triage")
            let (first, firstId) = try world.comment("@pr-review full review", login: "triager", association: "COLLABORATOR")
            await world.deliver("issue_comment", first)
            let (second, _) = try world.comment("@pr-review pause", login: "triager", association: "COLLABORATOR")
            await world.deliver("issue_comment", second)
            _ = try await world.drain()
            #expect(world.answers(to: firstId).first?.contains("only users with write access") == true)
            #expect(world.reviews.isEmpty)
            #expect(world.app.standIn.requestLog.filter { $0.hasSuffix("/collaborators/triager/permission") }.count == 1)
            // A maintainer may.
            world.app.standIn.setRole("keeper", "maintain")
            let (third, _) = try world.comment("@pr-review full review", login: "keeper", association: "MEMBER")
            await world.deliver("issue_comment", third)
            _ = try await world.drain()
            #expect(world.reviews.count == 1)
        }
    }

    /// Whether a command was answered is read from the comments after it, not the whole
    /// conversation: 20 commands (one author's daily budget) cost linear listing, not quadratic.
    @Test func answeringManyCommandsListsOnlyNewerComments() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            // An old conversation already on the pull request (an hour ago).
            world.app.standIn.useClock { Date().addingTimeInterval(-3_600) }
            for n in 0..<200 { world.app.standIn.addIssueCommentByOther(ConversationTests.key, body: "old \(n)", login: "someone") }
            world.app.standIn.useClock { Date() }
            for n in 1...20 {
                let (payload, _) = try world.comment("@pr-review help \(n)", login: "keeper")
                await world.deliver("issue_comment", payload)
                _ = try await world.drain()
            }
            let answers = world.app.standIn.issueComments(ConversationTests.key).filter { $0.author == "pr-review[bot]" }
            #expect(answers.count == 20)
            // Each check reads the comments since its command's second — at most the 40 written in
            // this test — never the 200 old ones (listing everything would serve 20 × 200 and more).
            #expect(world.app.standIn.listedIssueComments <= 20 * 40, "\(world.app.standIn.listedIssueComments) comments listed")
        }
    }

    @Test func theSameCommentRunTwiceAnswersOnce() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            let (payload, id) = try world.comment("/help")
            await world.deliver("issue_comment", payload)
            try await world.drain()
            // The same comment again, as a retried job would see it.
            let job = try #require(try await world.queue.inspect(id: JobID.encode("sindresorhus/ky#731/comment/\(id)"), now: Date())?.job)
            _ = try await world.drainer.processor.process(job, attempt: 2, logger: .quiet)
            #expect(world.answers(to: id).count == 1)
            #expect(world.answers(to: id).first?.contains("| `@pr-review full review` |") == true)
        }
    }

    @Test func theWalkthroughIsOneCommentEditedOnEachPush() async throws {
        try await World.with { world in
            try world.push([Self.firstSecret], head: Self.heads[0])
            await world.deliver("pull_request", try world.pullRequestEvent("opened", head: Self.heads[0]))
            try await world.drain()
            for (index, head) in Self.heads[1...2].enumerated() {
                try world.push([Self.firstSecret, SyntheticPullRequest.File("src/file\(index).ts", ["export const v\(index) = \(index);"])], head: head)
                await world.deliver("pull_request", try world.pullRequestEvent("synchronize", head: head, before: Self.heads[index]))
                try await world.drain()
            }
            let walkthroughs = world.walkthroughs
            #expect(walkthroughs.count == 1)
            #expect(walkthroughs.first?.hasSuffix(ReviewMarker.walkthrough(head: Self.heads[2])) == true)
            #expect(walkthroughs.first?.contains("`src/file1.ts`") == true && walkthroughs.first?.contains("`src/file0.ts`") == false)
        }
    }

    /// A model (behind the OpenAI-compatible stand-in) that answers one question.
    static func answeringModel(_ standIn: ModelStandIn) -> any ReviewModel {
        LLMConfig.load(
            EnvironmentReader(["LLM_PROVIDER": "openai", "LLM_BASE_URL": standIn.url.absoluteString + "/v1", "LLM_API_KEY": "sk-test", "LLM_MODEL": "m"])
        ).makeModel(transport: AsyncHTTPClientTransport())
    }

    @Test func aThreadReplyIsAnsweredInItsThread() async throws {
        let standIn = try await ModelStandIn.start([.findings(#"{"answer":"Because the key is live."}"#)])
        try await World.with(model: RulesModel()) { world in
            // The worker with the model answers; the one that reviewed has only the rules.
            let (ours, answering) = try await world.reviewedWithTwoThreads(answeringWith: Self.answeringModel(standIn))
            await world.deliver("pull_request_review_comment", try world.reply("@pr-review why does this matter?", to: ours[1], path: "config/more.ts"))
            await world.deliver("pull_request_review_comment", try world.reply("unrelated chatter", to: ours[0], path: "config/aws.ts"))
            _ = try await answering.drain(deadline: Date() + 600, logger: .quiet)
            let replies = world.botReplies
            #expect(replies.count == 1)
            #expect(replies.first?.inReplyTo == ours[1] && replies.first?.body.contains("Because the key is live.") == true)
            let prompt = String(decoding: standIn.requests.last?.body ?? Data(), as: UTF8.self)
            #expect(prompt.contains("why does this matter?") && prompt.contains("untrusted"))
        }
        await standIn.stop()
    }
    /// `answer_replies: all`: a writer's reply in the reviewer's thread is answered without a
    /// mention, and a stranger's gets nothing — not even the 👀 — since permission is checked before
    /// anything is written (a read-only collaborator's association alone would pass).
    @Test func withAnswerRepliesAllAStrangersReplyGetsNoReaction() async throws {
        let standIn = try await ModelStandIn.start([.findings(#"{"answer":"Because the key is live."}"#)])
        try await World.with(model: RulesModel()) { world in
            world.app.standIn.setFile("sindresorhus/ky", RepoConfig.path, "answer_replies: all\n")
            let (ours, answering) = try await world.reviewedWithTwoThreads(answeringWith: Self.answeringModel(standIn))
            world.app.standIn.setRole("reader", "read")
            let reactions = world.app.standIn.reactions.count
            await world.deliver(
                "pull_request_review_comment",
                try world.reply("this is wrong", to: ours[0], path: "config/aws.ts", association: "COLLABORATOR", login: "reader"))
            await world.deliver(
                "pull_request_review_comment", try world.reply("so wrong", to: ours[0], path: "config/aws.ts", association: "NONE", login: "drive-by"))
            _ = try await answering.drain(deadline: Date() + 600, logger: .quiet)
            #expect(world.app.standIn.reactions.count == reactions && world.botReplies.isEmpty && standIn.requests.isEmpty)

            await world.deliver("pull_request_review_comment", try world.reply("why does this matter", to: ours[1], path: "config/more.ts", login: "writer"))
            _ = try await answering.drain(deadline: Date() + 600, logger: .quiet)
            #expect(world.botReplies.count == 1 && standIn.requests.count == 1 && world.app.standIn.reactions.count == reactions + 1)
        }
        await standIn.stop()
    }

}
