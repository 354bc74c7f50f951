import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// The model sees the file around each hunk (its enclosing declaration, surrounding lines, a small
/// file whole when that is cheap next to the change), marked as context only; the budget holds and no context line can carry a comment.
@Suite struct ReviewContextTests {
    /// A head version of `file` consistent with its diff: each hunk's new-side lines at their numbers,
    /// the lines between them filled in, `extra` lines placed where given, `tail` lines after the last hunk.
    static func head(for file: DiffFile, extra: [Int: String] = [:], tail: Int = 30) -> String {
        var known: [Int: String] = [:]
        for hunk in file.hunks {
            for line in hunk.lines where line.kind != .deleted { known[line.newLine ?? 0] = String(line.code) }
        }
        let last = (known.keys.max() ?? 0) + tail
        return (1...max(1, last)).map { known[$0] ?? extra[$0] ?? "\t\t\t\t\tconst filler\($0) = \($0);" }.joined(separator: "\n") + "\n"
    }

    static let ky = PullRequestFixture.named("ky-small-single-file-edit")
    static var kyFile: DiffFile { DiffParser.parse(ky.diffText).files[0] }
    /// Ky.ts at the head with the enclosing method eight lines above git's three lines of context.
    static var kyHead: String { head(for: kyFile, extra: [99: "export class Ky {", 100: "\t\t\t\tasync parseBody(type) {"]) }

    @Test func theEnclosingHeaderAboveTheHunkIsShown() throws {
        let diff = DiffParser.parse(Self.ky.diffText)
        let head = HeadFile(text: Self.kyHead)
        let plan = ReviewPlanner().plan(diff, heads: [Self.kyFile.path: head], context: ContextSettings(lines: 3, wholeFileLines: 0))
        let prompt = ReviewPrompt.user(title: "t", body: "", instructions: "", chunk: plan.calls[0])
        #expect(prompt.contains("~100 | \t\t\t\tasync parseBody(type) {\n~ ⋯\n~109 | "), "\(prompt.suffix(1200))")
        #expect(!prompt.contains("~99 |"), "the nearest enclosing declaration only")
        #expect(prompt.contains("~128 | ") && prompt.contains("~130 | ") && !prompt.contains("~131 | "), "three lines after the hunk")
        #expect(FileContext.enclosingHeader(above: Self.kyFile.hunks[0], head: head, settings: ContextSettings()) == 100)
    }

    /// Context pays for itself: a small file goes whole only when what that adds beyond its hunks is
    /// no more than the change (or two windows); otherwise the header and a window around each hunk.
    @Test func aFileGoesWholeOnlyWhenThatIsCheapNextToTheChange() throws {
        let diff = DiffParser.parse(Self.ky.diffText)
        let heads = [Self.kyFile.path: HeadFile(text: Self.kyHead)]
        func shown(_ context: ContextSettings) -> Set<Int> {
            Set(ReviewPlanner().plan(diff, heads: heads, context: context).calls.flatMap { $0.flatMap(\.contextLines).map(\.line) })
        }
        // Ky.ts here has 157 lines for a 9-line change: the header and five lines each side, not 141 lines.
        #expect(HeadFile(text: Self.kyHead).lines.count == 157)
        #expect(shown(ContextSettings()) == Set([100] + Array(107...111) + Array(128...132)))
        #expect(shown(ContextSettings(lines: 0, wholeFileLines: 0)) == [100], "only the header")

        let small = DiffParser.parse(
            "diff --git a/s.ts b/s.ts\n--- a/s.ts\n+++ b/s.ts\n@@ -5,7 +5,8 @@\n c5\n c6\n c7\n-old8\n+new8\n+new9\n c10\n c11\n c12\n")
        func shownOf(lines count: Int) -> Set<Int> {
            let head = (1...count).map { "c\($0)" }.joined(separator: "\n") + "\n"
            return Set(ReviewPlanner().plan(small, heads: ["s.ts": HeadFile(text: head)]).calls.flatMap { $0.flatMap(\.contextLines).map(\.line) })
        }
        #expect(shownOf(lines: 18) == Set(1...4).union(13...18), "10 lines beyond the hunk: whole")
        #expect(shownOf(lines: 40) == Set(1...4).union(13...17), "32 lines beyond a 3-line change: five lines each side")
        #expect(shown(ContextSettings(lines: 5, wholeFileLines: 0)) == Set([100] + Array(107...111) + Array(128...132)))
        let (config, problems) = RepoConfig.from(try JSONValue.parse(Data(#"{"context_lines": 5, "whole_file_context": false}"#.utf8)))
        #expect(problems.isEmpty && config.context == ContextSettings(lines: 5, wholeFileLines: 0))
        #expect(RepoConfig.from(try JSONValue.parse(Data(#"{"context_lines": 101}"#.utf8))).1 == ["context_lines must be a whole number from 0 to 100"])
    }

    /// Prose is read with its section's heading, not windows: paragraphs around an edit seldom explain it.
    @Test func proseHunksGetTheirHeadingOnly() throws {
        let diff = DiffParser.parse(
            "diff --git a/readme.md b/readme.md\n--- a/readme.md\n+++ b/readme.md\n@@ -30,7 +30,7 @@\n p30\n p31\n p32\n-old\n+new\n p34\n p35\n p36\n")
        var lines = (1...80).map { "p\($0)" }
        lines[9] = "## Options"
        lines[19] = "### retry"
        let plan = ReviewPlanner().plan(diff, heads: ["readme.md": HeadFile(text: lines.joined(separator: "\n"))])
        #expect(plan.calls.flatMap { $0.flatMap(\.contextLines).map(\.line) } == [20], "the nearest heading above, nothing else")
        #expect(
            FileContext.isProse("docs/Guide.MD") && FileContext.isProse("notes.txt") && !FileContext.isProse("src/md.swift") && !FileContext.isProse("a.md/b"))
    }

    @Test(arguments: [1_500, 2_500, 4_000, 8_000, 32_000])
    func theBudgetHoldsAndNoContextLineIsCommentable(_ budget: Int) throws {
        let title = "A change", body = String(repeating: "Describe ``` the change. ", count: 40)
        for fixture in PullRequestFixture.all {
            let diff = DiffParser.parse(fixture.diffText)
            let heads = Dictionary(diff.files.filter { $0.status != .removed }.map { ($0.path, HeadFile(text: Self.head(for: $0, tail: 500))) }) { $1 }
            let index = HunkIndex(diff)
            let anchorer = Anchorer(index: index)
            for context in [ContextSettings(), ContextSettings(lines: 0, wholeFileLines: 0), ContextSettings(lines: 40, wholeFileLines: 50)] {
                let fixed = ReviewPrompt.fixedTokens(title: title, body: body, instructions: "")
                let plan = ReviewPlanner(maxInputTokens: budget, maxCalls: 3).plan(diff, heads: heads, context: context, fixedTokens: fixed)
                var placed = 0
                for call in plan.calls {
                    let prompt =
                        ReviewPrompt.user(title: title, body: body, instructions: "", chunk: call) + ReviewPrompt.retryNote(String(repeating: "y", count: 300))
                    let spent = ReviewPlanner.estimateTokens(ReviewPrompt.system) + ReviewPlanner.estimateTokens(prompt)
                    #expect(spent <= budget, "\(fixture.name): \(spent) > \(budget)")
                    for file in call {
                        placed +=
                            file.deletedInShort != nil
                            ? diff.file(file.path)?.hunks.count ?? 0 : file.parts.filter { if case .context = $0 { false } else { true } }.count
                        for line in file.contextLines {
                            #expect(!index.isCommentable(path: file.path, line: line.line, side: .right), "\(fixture.name) \(file.path):\(line.line)")
                            let finding = Finding(
                                path: file.path, side: .right, line: line.line, quote: String(line.text), severity: .bug, title: "t", body: "b")
                            if case .lines(_, .right, let at, _) = anchorer.anchor(finding) {
                                #expect(at != line.line || index.isCommentable(path: file.path, line: at, side: .right))
                            }
                        }
                    }
                }
                // Every hunk is placed (whole or shortened) or counted as left out.
                let left = plan.leftOut.reduce(0) { total, skipped in
                    let hunks = diff.file(skipped.path)?.hunks.count ?? 0
                    return total + (skipped.reason == "over the review budget" ? hunks : Int(skipped.reason.prefix { $0.isNumber }) ?? 0)
                }
                #expect(placed + left == diff.files.reduce(0) { $0 + $1.hunks.count }, "\(fixture.name) at \(budget)")
            }
        }
    }

    @Test func aTightBudgetShortensDeletionsAndSaysWhatWasCut() throws {
        let diff = DiffParser.parse(PullRequestFixture.named("cobra-deleted-and-added-file").diffText)
        let roomy = ReviewPlanner().plan(diff)
        #expect(roomy.shortened.isEmpty && roomy.calls.flatMap { $0 }.allSatisfy { $0.deletedInShort == nil })
        let tight = ReviewPlanner(maxInputTokens: 260, maxCalls: 1, overheadTokens: 0).plan(diff)
        let deleted = try #require(diff.files.first { $0.status == .removed })
        #expect(tight.shortened == [deleted.path])
        let prompt = ReviewPrompt.user(title: "t", body: "", instructions: "", chunk: tight.calls[0])
        #expect(prompt.contains("### \(deleted.path) (deleted: 19 lines, not shown)"))
        #expect(tight.leftOut.isEmpty, "\(tight.leftOut)")
    }

    /// End to end: the reviewer reads Ky.ts at the head commit and the model is shown its header.
    @Test func theModelIsShownTheFileAroundTheHunk() async throws {
        let app = try await GitHubTestApp.start()
        let model = try await ModelStandIn.start([.findings(#"{"summary":"","changes":[],"findings":[]}"#)])
        let job = app.job(for: Self.ky)
        app.standIn.setFile("sindresorhus/ky", Self.kyFile.path, Self.kyHead, ref: job.head)
        let reviewer = PullRequestReviewer(
            github: app.client(),
            model: LLMConfig.load(
                EnvironmentReader(["LLM_PROVIDER": "openai", "LLM_BASE_URL": model.url.absoluteString + "/v1", "LLM_API_KEY": "sk-test", "LLM_MODEL": "m"])
            ).makeModel(transport: AsyncHTTPClientTransport()))
        let outcome = try await reviewer.review(job, logger: .quiet)
        let prompt = model.requests.first.map { String(decoding: $0.body, as: UTF8.self) } ?? ""
        await model.stop()
        await app.stop()
        #expect(outcome.status == .posted)
        #expect(prompt.contains(#"~100 | \t\t\t\tasync parseBody(type) {"#), "\(prompt.prefix(3000))")
        #expect(prompt.contains("~107 | ") && !prompt.contains("~1 | "), "a 157-line file for a 9-line change goes as windows, not whole")
    }
}
