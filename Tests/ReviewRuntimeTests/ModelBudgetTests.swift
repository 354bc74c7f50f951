import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// The model's rate limits belong to the API key: a 429 waits for every worker of the deployment,
/// a call waits in place for a short limit, and a job sent back by a long one keeps the answers it had.
@Suite struct ModelBudgetTests {
    static let limited = ModelStandIn.Reply.httpError(429, headers: ["retry-after": "20"], body: #"{"error":{"message":"Rate limit reached"}}"#)
    static let multiFile = PullRequestFixture.named("ky-multi-file-feature-network-error")

    func model(_ standIn: ModelStandIn, budget: SharedModelBudget, maxInput: Int = 32_000) -> any ReviewModel {
        let env = [
            "LLM_PROVIDER": "openai", "LLM_BASE_URL": standIn.url.absoluteString + "/v1", "LLM_API_KEY": "sk-budget", "LLM_MODEL": "m",
            "LLM_CONCURRENCY": "1", "LLM_MAX_INPUT_TOKENS": String(maxInput), "LLM_MAX_CALLS": "8",
        ]
        return LLMConfig.load(EnvironmentReader(env)).makeModel(transport: AsyncHTTPClientTransport(), budget: budget)
    }

    /// Moves the clock past every sleep until `work` ends (the budget's waits are its only sleeps here).
    func drive<T: Sendable>(_ clock: ManualClock, _ work: @escaping @Sendable () async throws -> T) async throws -> (T, [TimeInterval]) {
        let task = Task { try await work() }
        let waits = Task {
            var seen: [TimeInterval] = []
            while !Task.isCancelled {
                let wait = await clock.sleeper()
                if Task.isCancelled { break }
                seen.append(wait)
                clock.advance(by: wait)
            }
            return seen
        }
        let value = try await task.value
        waits.cancel()
        // Wakes the driver's last wait for a sleeper with one that nobody moves past.
        let stopper = Task { try? await clock.wallClock.sleep(3_600_000) }
        let seen = await waits.value
        stopper.cancel()
        return (value, seen)
    }

    @Test func aShortLimitIsWaitedOutInPlaceAndShutsEveryWorkerOut() async throws {
        try await RedisHarness.with { harness in
            let queue = RedisJobQueue(redis: harness.client(), settings: QueueSettings())
            let clock = ManualClock()
            // Three 429s (20 s each, a minute in all), then an answer.
            let standIn = try await ModelStandIn.start([Self.limited, Self.limited, Self.limited, .quotingFirstAddedLine])
            let budget = SharedModelBudget(queue: queue, clock: clock.wallClock)
            let input = ReviewInput(title: "t", body: "", diff: DiffParser.parse(PullRequestFixture.named("ky-small-single-file-edit").diffText))
            let reviewer = model(standIn, budget: budget)
            let (review, waits) = try await drive(clock) { try await reviewer.review(input) }
            #expect(review.findings.count == 1 && standIn.requests.count == 4)
            #expect(waits == [20, 20, 20])
            // The tokens are the answer's: the limited calls cost none.
            #expect(review.usage.inputTokens == 1000)

            await standIn.stop()

            // A minute-long 429 in one process opens the deployment's circuit: another process's
            // call does not reach the model until it closes, and its job goes back to the queue.
            // (Other titles: an answer to the prompt above is stored and would be given back.)
            var another = input
            another.title = "another pull request"
            let first = try await ModelStandIn.start([.httpError(429, headers: ["retry-after": "60"], body: "{}")])
            await #expect(throws: ReviewError.self) { try await model(first, budget: budget).review(another) }
            await first.stop()
            let second = try await ModelStandIn.start([.quotingFirstAddedLine])
            let otherProcess = SharedModelBudget(queue: queue, clock: clock.wallClock)
            do {
                _ = try await model(second, budget: otherProcess).review(another)
                Issue.record("the call went through an open circuit")
            } catch let error as ReviewError {
                #expect(error.code == .modelRateLimited && (59...60).contains(error.retryAfter ?? 0), "\(error)")
            }
            #expect(second.requests.isEmpty)
            clock.advance(by: 61)
            #expect(try await model(second, budget: otherProcess).review(another).findings.count == 1)
            #expect(second.requests.count == 1)
            await second.stop()
        }
    }

    /// A limit longer than a call waits sends the job back to the queue; its retry asks the model
    /// only for the calls that had not been answered.
    @Test func aRetriedReviewKeepsTheAnswersItHad() async throws {
        try await RedisHarness.with { harness in
            let queue = RedisJobQueue(redis: harness.client(), settings: QueueSettings())
            let clock = ManualClock()
            let long = ModelStandIn.Reply.httpError(
                529, headers: ["retry-after": "120"], body: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
            let input = ReviewInput(title: "t", body: "", diff: DiffParser.parse(Self.multiFile.diffText))
            // A clean run first: how many calls the review makes.
            let clean = try await ModelStandIn.start([.quotingFirstAddedLine])
            let cleanReview = try await model(clean, budget: SharedModelBudget(redis: nil, prefix: "", clock: clock.wallClock), maxInput: 4_000).review(input)
            let calls = clean.requests.count
            await clean.stop()
            #expect(calls >= 3, "the review should take several calls, took \(calls)")

            // The same review with the third call overloaded for two minutes.
            let standIn = try await ModelStandIn.start([.quotingFirstAddedLine, .quotingFirstAddedLine, long, .quotingFirstAddedLine])
            let budget = SharedModelBudget(queue: queue, clock: clock.wallClock)
            let reviewer = model(standIn, budget: budget, maxInput: 4_000)
            await #expect(throws: ReviewError.self) { try await reviewer.review(input) }
            #expect(standIn.requests.count == 3)
            // The job comes back after the limit: the two answered calls are not asked again.
            clock.advance(by: 121)
            let retried = try await reviewer.review(input)
            #expect(standIn.requests.count == 3 + (calls - 2))
            #expect(retried.findings.count == cleanReview.findings.count)
            // Tokens paid across both runs: each call once (the 529 cost none).
            #expect(1000 * (standIn.requests.count - 1) <= cleanReview.usage.inputTokens * 105 / 100)
            await standIn.stop()
        }
    }
}
