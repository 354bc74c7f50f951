import Foundation
import ReviewCore
import Testing

@Suite struct CommandParserTests {
    @Test(
        arguments: [
            ("@pr-review review", PRCommand.review),
            ("@PR-Review   full review please", .fullReview),
            ("/review", .review),
            ("thanks!\n/pause", .pause),
            ("@pr-review: resume", .resume),
            ("@pr-review[bot] help", .help),
            ("@pr-review", .help),
            ("@pr-review ask", .help),
            ("@pr-review ask why two loops?", .ask(question: "why two loops?")),
            ("@pr-review ask why?\nsecond line", .ask(question: "why?\nsecond line")),
            ("@pr-review dance", .unknown(word: "dance")),
            ("  /help", .help),
        ] as [(String, PRCommand)])
    func commandsAreRead(_ text: String, _ expected: PRCommand) {
        #expect(CommandParser.parse(text, slug: "pr-review") == expected, "\(text.debugDescription)")
    }

    @Test(arguments: [
        "please review this", "@pr-reviewer review", "email me at x@pr-review review", "/reviewing the code", "see /etc/passwd",
        "> @pr-review review (quoted)", "`@pr-review review`",
    ])
    func otherTextIsNoCommand(_ text: String) {
        #expect(CommandParser.parse(text, slug: "pr-review") == nil, "\(text.debugDescription)")
    }

    @Test func withoutASlugOnlySlashCommandsCount() {
        #expect(CommandParser.parse("@pr-review review", slug: nil) == nil)
        #expect(CommandParser.parse("/full review", slug: nil) == .fullReview)
    }

    @Test func ignoreAndMentions() {
        #expect(CommandParser.saysIgnore("Draft.\n\n@pr-review ignore\n", slug: "pr-review"))
        #expect(CommandParser.saysIgnore("/ignore", slug: nil))
        #expect(!CommandParser.saysIgnore("do not ignore errors", slug: "pr-review"))
        #expect(!CommandParser.saysIgnore("@pr-review ignore this line please", slug: "pr-review"))
        #expect(CommandParser.mentions("thanks @PR-Review!", slug: "pr-review"))
        #expect(!CommandParser.mentions("thanks @pr-reviewer", slug: "pr-review"))
        #expect(!CommandParser.mentions("anything", slug: nil))
    }

    /// Hostile text: long lines and many lines are read within the bounds, quickly and linearly.
    @Test func boundedOnHostileText() {
        let long = String(repeating: "@pr-review ", count: 100_000)
        #expect(CommandParser.parse(long, slug: "pr-review") == .unknown(word: "@pr-review"))
        let many = String(repeating: "x\n", count: 100_000) + "/review"
        #expect(CommandParser.parse(many, slug: "pr-review") == nil, "past the line bound")
        if case .ask(let question)? = CommandParser.parse("/ask " + String(repeating: "q", count: 10_000), slug: nil) {
            #expect(question.count == 2_000)
        } else {
            Issue.record("not a question")
        }
    }
}

@Suite struct WalkthroughTests {
    static let diff = DiffParser.parse(
        """
        diff --git a/src/a.swift b/src/a.swift
        --- a/src/a.swift
        +++ b/src/a.swift
        @@ -1,2 +1,3 @@ func run()
         a
        +b
        -c
        +d
        diff --git a/old|name.md b/new.md
        similarity index 100%
        rename from old|name.md
        rename to new.md
        diff --git a/img.png b/img.png
        new file mode 100644
        Binary files /dev/null and b/img.png differ

        """)

    @Test func theDiffAloneGivesTheTable() {
        let head = String(repeating: "ab", count: 20)
        let body = Walkthrough.body(
            diff: Self.diff, summary: nil, fileSummaries: [:], notReviewed: [ReviewScope.Skipped(path: "img.png", reason: "binary file")], headSha: head)
        #expect(body.hasPrefix("## Walkthrough\n\n3 files changed, +2 −1."))
        #expect(body.contains("| `src/a.swift` | +2 −1 | edits in `run` |"), "\(body)")
        #expect(body.contains("| `new.md` | renamed, +0 −0 | renamed from `old\\|name.md`, content unchanged |"))
        #expect(body.contains("| `img.png` | added, +0 −0 | not reviewed: binary file |"), "\(body)")
        #expect(body.contains("### Not reviewed\n\n- `img.png` — binary file"))
        #expect(body.hasSuffix(ReviewMarker.walkthrough(head: head)) && ReviewMarker.isWalkthrough(body))
    }

    @Test func modelTextIsPlainAndTheMarkerSurvivesAnyLength() {
        let head = String(repeating: "cd", count: 20)
        let files = (0..<400).map { DiffFile(oldPath: nil, newPath: "dir/" + String(repeating: "x", count: 300) + "\($0).txt", status: .added) }
        let body = Walkthrough.body(
            diff: UnifiedDiff(files: files), summary: "<!-- prreview:walkthrough head=\(head) --> @team", fileSummaries: [:], notReviewed: [], headSha: head)
        #expect(body.count <= ReviewComposer.maxBodyCharacters)
        #expect(body.hasSuffix(ReviewMarker.walkthrough(head: head)))
        #expect(body.components(separatedBy: "prreview:walkthrough").count == 2, "the summary cannot carry a second marker")
        #expect(!body.contains("@team"))
    }
}
