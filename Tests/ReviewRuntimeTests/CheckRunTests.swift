import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// The check run of each reviewed head: in progress while the review runs, completed with what it
/// found; a failed job says why; an App without `checks: write` still reviews.
/// The summary says only what there is: new findings, earlier ones, or both.
@Suite struct CheckRunWordingTests {
    @Test func theSummaryNamesOnlyWhatThereIs() {
        let finding = Finding(path: "a.ts", line: 1, quote: "x", severity: .bug, title: "T", body: "B")
        func summary(_ count: Int, new: Int) -> String {
            CheckRunText.reviewed(
                findings: Array(repeating: finding, count: count), newlyPosted: new, notReviewed: [], provider: "rules", model: "m",
                usage: ModelUsage(inputTokens: 0, outputTokens: 0, costUSD: nil), reviewedFiles: 2
            ).output.summary
        }
        #expect(summary(0, new: 0).hasPrefix("2 files reviewed."))
        #expect(summary(1, new: 1).hasPrefix("2 files reviewed; new in this review."))
        #expect(summary(3, new: 3).hasPrefix("2 files reviewed; all 3 new in this review."))
        #expect(summary(2, new: 0).hasPrefix("2 files reviewed; nothing new: all 2 were already on the pull request."))
        #expect(summary(3, new: 1).hasPrefix("2 files reviewed; 1 new in this review, 2 already on the pull request."))
        #expect(!summary(3, new: 3).contains("the rest"))
    }
}

@Suite struct CheckRunTests {
    static let key = "sindresorhus/ky#731"
    static let secret = SyntheticPullRequest.File("config/aws.ts", [#"export const key = "AKIAABCDEFGHIJKLMNOP";"#])
    static let clean = SyntheticPullRequest.File("src/ok.ts", ["export const ok = 1;"])

    static func run(_ files: [SyntheticPullRequest.File], setUp: (GitHubTestApp) throws -> Void = { _ in }) async throws -> ([JSONValue], ReviewOutcome) {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: try SyntheticPullRequest.write(files, head: String(repeating: "a3", count: 20)))
        try setUp(app)
        let outcome = try await PullRequestReviewer(github: app.client(), model: RulesModel()).review(job, logger: .quiet)
        let runs = app.standIn.checkRuns("sindresorhus/ky")
        await app.stop()
        return (runs, outcome)
    }

    @Test func aReviewWithFindingsCompletesNeutralWithItsSummary() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: try SyntheticPullRequest.write([Self.secret], head: String(repeating: "a3", count: 20)))
        // While the review is posted, the check run is in progress.
        let during = NIOLockedValueBox<[JSONValue]>([])
        let standIn = app.standIn
        app.standIn.stall(pathSuffix: "/pulls/731/reviews", method: "POST") {
            during.withLockedValue { $0 = standIn.checkRuns("sindresorhus/ky") }
            standIn.releaseStalls()
        }
        let outcome = try await PullRequestReviewer(github: app.client(), model: RulesModel()).review(job, logger: .quiet)
        let runs = app.standIn.checkRuns("sindresorhus/ky")
        await app.stop()
        #expect(outcome.status == .posted)
        #expect(
            during.withLockedValue { $0 }.count == 1 && during.withLockedValue { $0 }.first?["status"] == .string("in_progress"),
            "\(during.withLockedValue { $0 })")
        #expect(runs.count == 1, "one check run per head")
        let run = try #require(runs.first)
        #expect(run["name"] == .string("PR review") && run["head_sha"] == .string(job.head) && run["external_id"] == .string(job.id))
        #expect(run["status"] == .string("completed") && run["conclusion"] == .string("neutral"))
        #expect(run["output"]?["title"] == .string("1 finding: 1 security"))
        let summary = run["output"]?["summary"]?.stringValue ?? ""
        #expect(summary.contains("1 file reviewed; new in this review.") && summary.contains("input /") && summary.contains("built-in rules"), "\(summary)")
        #expect(run["output"]?["text"]?.stringValue?.contains("`config/aws.ts:1` **Security**: AWS access key committed") == true)
    }

    @Test func aCleanReviewSucceedsAndTheSwitchesTurnItOff() async throws {
        let (runs, _) = try await Self.run([Self.clean])
        #expect(runs.map { $0["conclusion"] } == [.string("success")] && runs.first?["output"]?["title"] == .string("No problems found"))
        let (off, outcome) = try await Self.run([Self.clean]) { app in
            app.standIn.setFile("sindresorhus/ky", RepoConfig.path, "check_run: false\n")
        }
        #expect(off.isEmpty && outcome.status == .posted)
        let app = try await GitHubTestApp.start()
        let job = app.job(for: try SyntheticPullRequest.write([Self.clean], head: String(repeating: "a4", count: 20)))
        _ = try await PullRequestReviewer(github: app.client(), model: RulesModel(), checkRuns: false).review(job, logger: .quiet)
        let none = app.standIn.checkRuns("sindresorhus/ky")
        await app.stop()
        #expect(none.isEmpty, "REVIEW_CHECK_RUNS=false")
    }

    @Test func anAppWithoutChecksPermissionStillReviews() async throws {
        let (runs, outcome) = try await Self.run([Self.secret]) { $0.standIn.grantChecks(false) }
        #expect(outcome.status == .posted && outcome.comments == 1)
        #expect(runs.isEmpty)
    }

    /// Through the queue: a retryable failure leaves the run in progress saying a retry follows;
    /// the last failure completes it as a failure with the reason.
    @Test func aFailedJobCompletesItsCheckRunWithTheReason() async throws {
        try await RedisHarness.with { harness in
            let app = try await GitHubTestApp.start()
            let job = app.job(for: try SyntheticPullRequest.write([Self.secret], head: String(repeating: "a5", count: 20)))
            var settings = QueueSettings()
            settings.name = "checks"
            settings.maxAttempts = 2
            let queue = RedisJobQueue(redis: harness.client(), settings: settings)
            // The queue's time is the test's: the retry falls due when the test says.
            let clock = ManualClock()
            _ = try await queue.enqueue(job, now: clock.now)
            app.standIn.script(.init(method: "POST", pathSuffix: "/pulls/731/reviews", status: 502, body: #"{"message":"Server Error"}"#, times: 2))
            let drainer = JobDrainer(
                queue: queue, processor: PullRequestReviewer(github: app.client(), model: RulesModel()), concurrency: 1, deadlineMargin: 0,
                clock: clock.wallClock)
            let first = try await drainer.drain(deadline: clock.now + 600, logger: .quiet)
            let afterFirst = app.standIn.checkRuns("sindresorhus/ky")
            clock.advance(by: settings.backoffCap + 1)
            let second = try await drainer.drain(deadline: clock.now + 600, logger: .quiet)
            let afterSecond = app.standIn.checkRuns("sindresorhus/ky")
            await app.stop()
            #expect(first.jobs.map(\.outcome) == [.retrying] && second.jobs.map(\.outcome) == [.failed], "\(first) \(second)")
            #expect(afterFirst.count == 1 && afterFirst.first?["status"] == .string("in_progress"))
            #expect(afterFirst.first?["output"]?["summary"]?.stringValue?.contains("Attempt 1 failed") == true, "\(afterFirst)")
            #expect(afterSecond.count == 1, "the retry reused the run")
            #expect(afterSecond.first?["conclusion"] == .string("failure"))
            #expect(afterSecond.first?["output"]?["summary"]?.stringValue?.contains("After 2 attempts") == true, "\(afterSecond)")
        }
    }

    @Test func theStandInKeepsTheChecksAPIRules() async throws {
        let app = try await GitHubTestApp.start()
        let job = app.job(for: try SyntheticPullRequest.write([Self.clean], head: String(repeating: "a6", count: 20)))
        let client = app.client()
        func refused(_ fields: GitHubClient.CheckRunFields, by client: GitHubClient = client) async -> String? {
            do {
                _ = try await client.createCheckRun(job.repository, fields)
                return nil
            } catch {
                return ReviewError.from(error).message
            }
        }
        let output = CheckRunText.Output(title: "t", summary: "s", text: nil)
        let noName = await refused(.init(headSha: job.head))
        let unknownSha = await refused(.init(name: "x", headSha: String(repeating: "0", count: 40)))
        let noConclusion = await refused(.init(name: "x", headSha: job.head, status: "completed"))
        let badConclusion = await refused(.init(name: "x", headSha: job.head, conclusion: "approved"))
        let longSummary = await refused(
            .init(name: "x", headSha: job.head, output: .init(title: "t", summary: String(repeating: "s", count: 65_536), text: nil)))
        let fine = await refused(.init(name: "x", headSha: job.head, status: "in_progress", output: output))
        // An installation without checks: write: the client's token is minted without it, and GitHub refuses the call.
        app.standIn.grantChecks(false)
        let denied = await refused(.init(name: "x", headSha: job.head), by: app.client())
        await app.stop()
        #expect(noName?.contains("name is required") == true && unknownSha?.contains("No commit found") == true)
        #expect(noConclusion?.contains("conclusion is required") == true && badConclusion?.contains("not included in the list") == true)
        #expect(longSummary?.contains("too long") == true && fine == nil)
        #expect(denied?.contains("Resource not accessible by integration") == true, "\(denied ?? "accepted")")
    }
}
