import Foundation
import Logging
import ReviewCore

/// What a command or thread-reply job did, kept as the job's result.
public struct ConversationOutcome: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// A reply was posted (or was already there: `reason` says so).
        case answered
        /// The comment needs nothing from the reviewer (not its thread, not addressed to it).
        case skipped
        /// A `review` or `full review` ran; `review` holds its outcome.
        case reviewed
    }

    public var status: Status
    public var reason: String?
    /// The command carried out, as the comment said it.
    public var command: String?
    public var review: ReviewOutcome?

    public init(status: Status, reason: String? = nil, command: String? = nil, review: ReviewOutcome? = nil) {
        self.status = status
        self.reason = reason
        self.command = command
        self.review = review
    }
}

/// Carries out a command from a pull-request comment, or answers a reply in one of the reviewer's
/// threads. Every answer carries the reply marker of the comment it answers and is posted only
/// when no answer by this App to that comment exists, so a job run twice answers once.
struct CommentResponder {
    let heads: HeadReviewer
    /// Where `pause` and `resume` are kept, and who may command is remembered.
    let queue: RedisJobQueue?
    var github: GitHubClient { heads.github }

    // MARK: Commands

    func command(
        _ command: PRCommand, _ comment: ReviewJob.Comment, on pr: PullRequestRef, jobId: String, logger: Logger
    ) async throws
        -> ConversationOutcome
    {
        let identity = try await github.tokens.identity()
        await heard(pr, comment, logger: logger)
        guard try await mayCommand(pr, comment) else {
            return try await refuse(pr, comment, logger: logger) { try await github.createIssueComment(pr, body: $0) }
        }
        switch command {
        case .help:
            return try await reply(pr, comment, identity: identity, ConversationText.help(slug: identity.slug), command: "help")
        case .unknown(let word):
            return try await reply(pr, comment, identity: identity, ConversationText.unknown(word, slug: identity.slug), command: word)
        case .pause:
            let cancelled = try await pauses().pause(pullRequestKey: pr.key, now: heads.clock.now())
            logger.info("automatic reviews paused", metadata: ["cancelled": "\(cancelled.count)"])
            return try await reply(pr, comment, identity: identity, ConversationText.paused, command: "pause")
        case .resume:
            _ = try await pauses().resume(pullRequestKey: pr.key)
            return try await reply(pr, comment, identity: identity, ConversationText.resumed, command: "resume")
        case .review, .fullReview:
            return try await review(pr, comment, jobId: jobId, identity: identity, again: command == .fullReview, logger: logger)
        case .ask(let question):
            let pull = try await github.pullRequest(pr)
            let (diff, _) = try await github.diff(pr)
            guard let answer = try await heads.model.answer(QuestionInput(question: question, title: pull.title, body: pull.body, diff: diff)) else {
                return try await reply(pr, comment, identity: identity, ConversationText.needsModel, command: "ask")
            }
            return try await reply(
                pr, comment, identity: identity,
                ConversationText.answer(answer.text, question: question, provider: answer.provider, model: answer.model, usage: answer.usage), command: "ask")
        }
    }

    /// `review`: what changed since the last commit this App reviewed (the whole PR without one);
    /// `full review`: everything again. A review that posts nothing gets a reply saying why.
    private func review(
        _ pr: PullRequestRef, _ comment: ReviewJob.Comment, jobId: String, identity: AppIdentity, again: Bool, logger: Logger
    ) async throws
        -> ConversationOutcome
    {
        let pull = try await github.pullRequest(pr)
        // The reviewer finds the last commit it reviewed; an incremental review without one is full.
        let review = ReviewJob.Review(head: pull.headSha.lowercased(), base: pull.baseSha.lowercased(), incremental: !again)
        let outcome = try await heads.review(HeadReviewer.Target(pr, review, jobId: jobId, asked: true, again: again), logger: logger)
        let name = again ? "full review" : "review"
        if let text = ConversationText.reviewed(outcome) {
            var answered = try await reply(pr, comment, identity: identity, text, command: name)
            answered.review = outcome
            return answered
        }
        return ConversationOutcome(status: .reviewed, command: name, review: outcome)
    }

    // MARK: Thread replies

    func answerInThread(root: Int, _ comment: ReviewJob.Comment, on pr: PullRequestRef, logger: Logger) async throws -> ConversationOutcome {
        let identity = try await github.tokens.identity()
        // Most replies are in other people's threads: one call settles those.
        guard let first = try await github.reviewComment(pr.repository, id: root), identity.wrote(first) else {
            return ConversationOutcome(status: .skipped, reason: "the thread was not started by the reviewer")
        }
        let pull = try await github.pullRequest(pr)
        if !comment.mentioned {
            let (config, _) = try await RepoConfigLoader.load(github, repository: pr.repository, ref: pull.configRef)
            guard config.answerReplies == .all else {
                return ConversationOutcome(status: .skipped, reason: "the reply does not mention the reviewer (answer_replies: mentions)")
            }
        }
        guard try await mayCommand(pr, comment) else {
            // A stranger's reply: nothing unless it asks the reviewer, then a reaction and at most
            // one refusal on the pull request.
            guard comment.mentioned else {
                return ConversationOutcome(status: .skipped, reason: "the author may not ask the reviewer (\(comment.association))")
            }
            await heard(pr, comment, logger: logger)
            return try await refuse(pr, comment, logger: logger) { try await github.replyInThread(pr, root: root, body: $0) }
        }
        let all = try await github.reviewComments(pr)
        if all.contains(where: { identity.wrote($0) && ReviewMarker.answeredComment($0.body) == comment.id }) {
            return ConversationOutcome(status: .answered, reason: "already answered")
        }
        await heard(pr, comment, logger: logger)
        let thread = ([first] + all.filter { $0.inReplyTo == root && $0.id < comment.id }).sorted { $0.id < $1.id }.map {
            AnswerPrompt.Message(author: $0.author ?? "ghost", text: String($0.body.prefix(4_000)))
        }
        let (diff, _) = try await github.diff(pr)
        let question = QuestionInput(question: comment.text, thread: thread, code: first.diffHunk, title: pull.title, body: pull.body, diff: diff)
        guard let answer = try await heads.model.answer(question) else {
            guard comment.mentioned else { return ConversationOutcome(status: .skipped, reason: "answers need a language model") }
            return try await post(pr, root: root, ConversationText.needsModel, to: comment.id)
        }
        return try await post(
            pr, root: root, ConversationText.answer(answer.text, question: nil, provider: answer.provider, model: answer.model, usage: answer.usage),
            to: comment.id)
    }

    private func post(_ pr: PullRequestRef, root: Int, _ text: String, to commentId: Int) async throws -> ConversationOutcome {
        try await github.replyInThread(pr, root: root, body: ConversationText.marked(text, to: commentId))
        return ConversationOutcome(status: .answered)
    }

    // MARK: Helpers

    /// Whether the comment's author may command the reviewer: an `author_association` on the
    /// configured list (`REVIEW_COMMAND_ASSOCIATIONS`), confirmed by GitHub's role for them on the
    /// repository — COLLABORATOR includes read and triage collaborators, and MEMBER any member of
    /// the organisation. The answer is kept an hour per repository and user.
    private func mayCommand(_ pr: PullRequestRef, _ comment: ReviewJob.Comment) async throws -> Bool {
        guard comment.allowed else { return false }
        let key = queue.map { $0.prefix + "may-write:\(pr.repository):" + comment.author.lowercased() }
        if let queue = queue, let key, let known = try? await queue.redis.send(["GET", key]).string { return known == "1" }
        let may = try await github.mayWrite(pr.repository, user: comment.author)
        if let queue = queue, let key { _ = try? await queue.redis.send(["SET", key, may ? "1" : "0", "EX", "3600"]) }
        return may
    }

    /// Someone who may not command the reviewer: one refusal per pull request (kept in Redis), after
    /// which the 👀 reaction already given is the only answer — a stranger's flood costs a reaction
    /// a comment, never a conversation listing or a comment each.
    private func refuse(
        _ pr: PullRequestRef, _ comment: ReviewJob.Comment, logger: Logger, post: (String) async throws -> Void
    ) async throws -> ConversationOutcome {
        if let queue = queue {
            let first = try await queue.redis.send(["SET", queue.prefix + "refused:" + pr.key, String(comment.id), "NX", "EX", "2592000"])
            guard first.string == "OK" else {
                return ConversationOutcome(status: .skipped, reason: "someone who may not command the reviewer was already told so on this pull request")
            }
        }
        try await post(ConversationText.marked(ConversationText.refused(author: comment.author, association: comment.association), to: comment.id))
        logger.info("refused a comment", metadata: ["association": "\(comment.association)"])
        return ConversationOutcome(status: .answered, reason: "refused")
    }

    /// An `eyes` reaction: the comment was heard. A reaction that fails is logged, not fatal.
    private func heard(_ pr: PullRequestRef, _ comment: ReviewJob.Comment, logger: Logger) async {
        do {
            try await github.react(pr.repository, to: comment.id, inReviewThread: comment.inReviewThread, content: "eyes")
        } catch {
            logger.warning("could not react to the comment", metadata: ["error": "\(ReviewError.from(error).message)"])
        }
    }

    /// Posts `text` as an answer to the comment unless this App already answered it.
    private func reply(
        _ pr: PullRequestRef, _ comment: ReviewJob.Comment, identity: AppIdentity, _ text: String, command: String? = nil
    ) async throws
        -> ConversationOutcome
    {
        let answered = try await github.issueComments(pr, since: comment.createdAt).contains {
            identity.wrote($0) && ReviewMarker.answeredComment($0.body) == comment.id
        }
        if answered { return ConversationOutcome(status: .answered, reason: "already answered", command: command) }
        try await github.createIssueComment(pr, body: ConversationText.marked(text, to: comment.id))
        return ConversationOutcome(status: .answered, command: command)
    }

    private func pauses() throws -> RedisJobQueue {
        guard let queue else { throw ReviewError.badConfig("pause and resume need the pr queue, and this reviewer has none") }
        return queue
    }
}
