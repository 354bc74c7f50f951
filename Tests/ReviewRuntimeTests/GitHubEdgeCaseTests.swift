import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// What the client puts in a URL reaches GitHub as it was meant: each path segment and query value
/// percent-encoded on its own.
@Suite struct GitHubEncodingTests {
    @Test func aBaseBranchWithQueryCharactersReadsItsOwnConfig() async throws {
        let app = try await GitHubTestApp.start()
        let branch = "release/1.0+hotfix&x=1 #2"
        let secret = SyntheticPullRequest.File("config/aws.ts", [#"export const key = "AKIAABCDEFGHIJKLMNOP";"#])
        let fixture = try SyntheticPullRequest.write([secret], head: String(repeating: "e5", count: 20), baseRef: branch)
        app.standIn.setFile("sindresorhus/ky", ".github/prreview.yml", "walkthrough: false\nmax_comments: 0\n", ref: branch)
        let outcome = try await PullRequestReviewer(github: app.client(), model: RulesModel()).review(app.job(for: fixture), logger: .quiet)
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        #expect(outcome.status == .posted && outcome.walkthrough == nil, "the config on \(branch) was not read")
        #expect(reviews.first?.comments.isEmpty == true && outcome.bodyFindings == 1)
    }

    @Test(arguments: [("main", "main"), ("a&b=c+d", "a%26b%3Dc%2Bd"), ("feature/x y#1?", "feature%2Fx%20y%231%3F"), ("ünï", "%C3%BCn%C3%AF")])
    func valuesAreEncodedWhole(_ value: String, _ expected: String) {
        #expect(GitHubAPI.encoded(value) == expected)
        let url = GitHubAPI.url(URL(string: "https://ghe.example.com/api/v3/")!, ["repos", "o", "r", "contents", "dir", value], query: [("ref", value)])
        #expect(url.absoluteString == "https://ghe.example.com/api/v3/repos/o/r/contents/dir/\(expected)?ref=\(expected)")
    }
}

/// Files GitHub sends no patch for are listed as not reviewed with their true reason.
@Suite struct FilesWithoutPatchTests {
    @Test func eachFileWithoutAPatchSaysWhy() async throws {
        let app = try await GitHubTestApp.start()
        let fixture = try SyntheticPullRequest.write([SyntheticPullRequest.File("src/a.ts", ["export const a = 1;"])], head: String(repeating: "f6", count: 20))
        let listed = try JSONValue.parse(Data(contentsOf: fixture.folder.appendingPathComponent("files.json")))
        guard case .array(var entries) = listed else { throw TestSetupError("files.json is not a list") }
        entries += [
            .object(["filename": .string("img/logo.png"), "status": .string("added"), "additions": .number(0), "deletions": .number(0), "changes": .number(0)]),
            .object([
                "filename": .string("docs/new.md"), "previous_filename": .string("docs/old.md"), "status": .string("renamed"), "additions": .number(0),
                "deletions": .number(0), "changes": .number(0),
            ]),
            .object([
                "filename": .string("data/huge.json"), "status": .string("modified"), "additions": .number(9000), "deletions": .number(10),
                "changes": .number(9010),
            ]),
        ]
        try JSONEncoder().encode(JSONValue.array(entries)).write(to: fixture.folder.appendingPathComponent("files.json"))
        let job = app.job(for: fixture)
        app.standIn.forceTooLarge("sindresorhus/ky#731")
        let outcome = try await PullRequestReviewer(github: app.client(), model: RulesModel()).review(job, logger: .quiet)
        let body = app.standIn.reviews("sindresorhus/ky#731").first?.body ?? ""
        await app.stop()
        #expect(outcome.notReviewed.sorted() == ["data/huge.json", "docs/new.md", "img/logo.png"])
        #expect(body.contains("- `img/logo.png` — no text diff (binary file or mode change)"), "\(body)")
        #expect(body.contains("- `docs/new.md` — renamed without changes"))
        #expect(body.contains("- `data/huge.json` — diff too large for GitHub to show"))
    }
}

/// An incremental review covers what changed since the last head it reviewed, and reviews the
/// whole pull request when compare cannot say.
@Suite struct IncrementalFallbackTests {
    static let secret = SyntheticPullRequest.File("config/aws.ts", [#"export const key = "AKIAABCDEFGHIJKLMNOP";"#])
    static let start = SyntheticPullRequest.File("src/start.ts", ["export const s = 1;"])
    static let (first, second) = (String(repeating: "a7", count: 20), String(repeating: "b8", count: 20))

    /// `first` (one clean file) reviewed in full, then `between` (a force push, say), then a push to
    /// `second` with `files` reviewed incrementally; returns the second review.
    static func push(
        _ files: [SyntheticPullRequest.File], between: (GitHubStandIn) throws -> Void = { _ in }
    ) async throws
        -> (ReviewOutcome, GitHubStandIn.RecordedReview?)
    {
        let app = try await GitHubTestApp.start()
        let reviewer = PullRequestReviewer(github: app.client(), model: RulesModel())
        let opened = try await reviewer.review(app.job(for: try SyntheticPullRequest.write([start], head: first)), logger: .quiet)
        #expect(opened.status == .posted)
        try between(app.standIn)
        var job = app.job(for: try SyntheticPullRequest.write(files, head: second))
        job.work = .review(.init(head: second, base: try #require(job.review).base, incremental: true))
        let outcome = try await reviewer.review(job, logger: .quiet)
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        return (outcome, reviews.count == 2 ? reviews.last : nil)
    }

    @Test(arguments: [false, true])
    func aForcePushedAwayReviewedHeadMeansAFullReview(_ collected: Bool) async throws {
        // The reviewed head left the pull request: compare says "diverged", or 404 once it is gone.
        let (outcome, review) = try await Self.push([Self.start, Self.secret]) {
            $0.forcePush("sindresorhus/ky#731", to: String(repeating: "f1", count: 20), collected: collected)
        }
        #expect(outcome.status == .posted && review?.comments.count == 1)
        #expect(review?.body.contains("1 finding in 2 reviewed files") == true, "\(review?.body.prefix(400) ?? "")")
    }

    @Test func aPushOf400FilesIsReviewedInFull() async throws {
        // Compare names at most 300 files: the review cannot know which were cut, so it reads them all.
        let files = (0..<400).map { SyntheticPullRequest.File("src/p\($0).ts", ["export const p\($0) = \($0);"]) } + [Self.start, Self.secret]
        let (outcome, review) = try await Self.push(files)
        #expect(outcome.status == .posted && outcome.notReviewed.isEmpty && review?.comments.count == 1)
        #expect(review?.body.contains("1 finding in 402 reviewed files") == true, "\(review?.body.prefix(400) ?? "")")
    }

    @Test func aPushReviewsOnlyWhatItChanged() async throws {
        // The control: compare between two commits of the pull request names only the changed files.
        let (outcome, review) = try await Self.push([Self.start, Self.secret])
        #expect(outcome.status == .posted && review?.comments.count == 1)
        #expect(review?.body.contains("1 finding in 1 reviewed file") == true, "only config/aws.ts changed: \(review?.body.prefix(400) ?? "")")
    }

    @Test func aPushMadeWhileNobodyLookedIsStillReviewed() async throws {
        // The secret came in a push that was never reviewed (paused, missed, failed); the next push
        // only adds a file, but the review compares from the last head it reviewed and finds it.
        let (outcome, review) = try await Self.push([Self.start, Self.secret, SyntheticPullRequest.File("src/x.ts", ["export const x = 1;"])]) {
            try $0.serve(SyntheticPullRequest.write([Self.start, Self.secret], head: String(repeating: "c2", count: 20)))
        }
        #expect(outcome.status == .posted && review?.comments.count == 1)
        #expect(review?.body.contains("1 finding in 2 reviewed files") == true, "\(review?.body.prefix(400) ?? "")")
    }
}

/// A pull request past every GitHub limit: the diff is refused (406), the file list stops at
/// 3,000; what was not reviewed is still said, down to the files GitHub never names.
@Suite struct HugePullRequestTests {
    @Test func aPullRequestOf3500FilesSaysWhatWasNotReviewed() async throws {
        let app = try await GitHubTestApp.start()
        let files = (0..<3_500).map { SyntheticPullRequest.File("src/m\($0).ts", ["export const v\($0) = \($0);"]) }
        let job = app.job(for: try SyntheticPullRequest.write(files, head: String(repeating: "c9", count: 20)))
        let outcome = try await PullRequestReviewer(github: app.client(), model: RulesModel()).review(job, logger: .quiet)
        let body = app.standIn.reviews("sindresorhus/ky#731").first?.body ?? ""
        let rejected = app.standIn.rejections
        await app.stop()
        #expect(outcome.status == .posted && rejected.isEmpty)
        #expect(outcome.notReviewed == ["500 more files"])
        #expect(body.contains("- `500 more files` — GitHub lists at most 3,000 files of a pull request"), "\(body.suffix(600))")
        #expect(body.contains("No problems found in 3000 reviewed files."))
    }
}

/// A pull request changing one line in each of 3,000 files costs a job the head files it may read
/// (`HEAD_FILES_MAX`) plus a constant, not a call per file.
@Suite struct ManyFilesBudgetTests {
    @Test func threeThousandChangedFilesCostTheHeadFileCapPlusAConstant() async throws {
        let app = try await GitHubTestApp.start()
        let files = (0..<3_000).map { SyntheticPullRequest.File("src/m\($0).ts", ["export const v\($0) = \($0);"]) }
        let job = app.job(for: try SyntheticPullRequest.write(files, head: String(repeating: "e7", count: 20), modified: true))
        let model = try await ModelStandIn.start([.quotingFirstAddedLine])
        let env = [
            "LLM_PROVIDER": "openai", "LLM_BASE_URL": model.url.absoluteString + "/v1", "LLM_API_KEY": "sk-x", "LLM_MODEL": "m",
            "LLM_MAX_INPUT_TOKENS": "200000", "LLM_MAX_CALLS": "8",
        ]
        var reviewer = PullRequestReviewer(github: app.client(), model: LLMConfig.load(EnvironmentReader(env)).makeModel(transport: AsyncHTTPClientTransport()))
        reviewer.headFiles = (count: 40, bytes: 4_000_000)
        let before = app.standIn.requestLog.count
        let outcome = try await reviewer.review(job, logger: .quiet)
        let calls = app.standIn.requestLog.dropFirst(before)
        let reads = app.standIn.contentReads.filter { $0.hasPrefix("src/") }.count
        await model.stop()
        await app.stop()
        #expect(outcome.status == .posted)
        #expect(reads == 40)
        // The file list's 30 pages, the head reads, and a handful of calls around the review.
        #expect(calls.count <= 40 + 30 + 15, "\(calls.count) calls")
    }
}

/// The stand-in follows GitHub's documented rules, and the client lives with them.
@Suite struct GitHubRulesTests {
    /// Lists come in pages of 30 (100 at most): our comment past the first page still counts.
    @Test func ourCommentsPastTheFirstPageStillCount() async throws {
        let app = try await GitHubTestApp.start()
        let secret = SyntheticPullRequest.File("config/aws.ts", [#"export const key = "AKIAABCDEFGHIJKLMNOP";"#])
        let first = app.job(for: try SyntheticPullRequest.write([secret], head: String(repeating: "d1", count: 20)))
        for n in 0..<150 { app.standIn.addReviewCommentByOther("sindresorhus/ky#731", path: "config/aws.ts", body: "note \(n)", login: "octocat") }
        let reviewer = PullRequestReviewer(github: app.client(), model: RulesModel())
        let one = try await reviewer.review(first, logger: .quiet)
        let second = try await reviewer.review(app.job(for: try SyntheticPullRequest.write([secret], head: String(repeating: "d2", count: 20))), logger: .quiet)
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        #expect(one.status == .posted && second.status == .nothingNew && second.duplicatesSkipped == 1)
        #expect(reviews.count == 1)
    }

    /// A range may start on the deleted side and end on the added one, within one hunk; a review
    /// without `event` is PENDING; COMMENT needs a body.
    @Test func crossSideRangesPendingReviewsAndBodies() async throws {
        let app = try await GitHubTestApp.start()
        let fixture = PullRequestFixture.named("ky-small-single-file-edit")
        let job = app.job(for: fixture)
        let file = try #require(DiffParser.parse(fixture.diffText).files.first)
        let lines = try #require(file.hunks.first?.lines)
        let deleted = try #require(lines.first { $0.kind == .deleted }?.oldLine)
        let added = try #require(lines.first { $0.kind == .added }?.newLine)
        let client = app.client()
        let range = ReviewComment(path: file.path, line: added, side: .right, startLine: deleted, startSide: .left, body: "across the change")
        _ = try await client.createReview(job.pullRequest, ReviewSubmission(commitId: job.head, body: "x", comments: [range]))
        await #expect(throws: ReviewError.self) {
            _ = try await client.createReview(job.pullRequest, ReviewSubmission(commitId: job.head, body: "", comments: []))
        }
        let rejections = app.standIn.rejections
        await app.stop()
        #expect(rejections == ["Body is required for COMMENT"])
    }
}

extension GitHubRulesTests {
    /// The composed cross-side comment is one GitHub takes.
    @Test func aCrossSideFindingPostsInline() async throws {
        let app = try await GitHubTestApp.start()
        let fixture = PullRequestFixture.named("ky-small-single-file-edit")
        let job = app.job(for: fixture)
        let diff = DiffParser.parse(fixture.diffText)
        let lines = try #require(diff.files.first?.hunks.first?.lines)
        let at = try #require(lines.indices.first { lines[$0].kind == .deleted && $0 + 1 < lines.count && lines[$0 + 1].kind == .added })
        let finding = Finding(
            path: diff.files[0].path, line: lines[at + 1].newLine, quote: String(lines[at].text) + "\n" + String(lines[at + 1].text), severity: .bug,
            title: "Changed", body: "b")
        let composed = ReviewComposer(anchorer: Anchorer(index: HunkIndex(diff))).compose(
            findings: [finding], summary: nil, headSha: job.head, notReviewed: [],
            footer: .init(provider: "p", model: "m", usage: ModelUsage(), latencyMs: 1), reviewedFiles: 1)
        _ = try await app.client().createReview(job.pullRequest, ReviewSubmission(commitId: job.head, body: composed.body, comments: composed.comments))
        let posted = app.standIn.reviews("sindresorhus/ky#731").first?.comments.first
        await app.stop()
        #expect(composed.comments.count == 1 && posted?["start_side"]?.stringValue == "LEFT" && posted?["side"]?.stringValue == "RIGHT")
    }
}
