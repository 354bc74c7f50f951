import Foundation
import ReviewCore
import ReviewTesting
import Testing

@Suite struct DiffParserTests {
    static let fixtures = PullRequestFixture.all.map(\.name)

    @Test func allTenFixturesArePresent() {
        #expect(Self.fixtures.count == 10)
    }

    @Test(arguments: fixtures)
    func agreesWithFilesJSON(_ name: String) throws {
        let fixture = PullRequestFixture.named(name)
        let diff = DiffParser.parse(fixture.diffText)
        let entries = fixture.files
        #expect(!entries.isEmpty)
        #expect(diff.files.count == entries.count)
        for entry in entries {
            let file = try #require(diff.file(entry.filename), "\(entry.filename) missing")
            #expect(file.additions == entry.additions, "\(entry.filename) additions")
            #expect(file.deletions == entry.deletions, "\(entry.filename) deletions")
            #expect(file.hunks.isEmpty == (entry.patch == nil), "\(entry.filename) hunks vs patch")
            switch entry.status {
            case "added": #expect(file.status == .added)
            case "removed": #expect(file.status == .removed)
            case "renamed":
                #expect(file.status == .renamed)
                #expect(file.oldPath == entry.previous_filename)
            case "changed": #expect(file.oldMode != nil && file.newMode != nil && file.hunks.isEmpty)
            default: #expect(file.status == .modified)
            }
            // The patch of /files parses to the same hunks as the diff.
            if let patch = entry.patch {
                #expect(DiffParser.parseHunks(patch) == file.hunks, "\(entry.filename) patch hunks")
            }
        }
    }

    @Test func edgeCases() throws {
        let binary = DiffParser.parse(PullRequestFixture.named("cobra-binary-image-added").diffText)
        #expect(binary.file("assets/CobraMain.png")?.isBinary == true)
        #expect(binary.file("assets/CobraMain.png")?.status == .added)

        let crlf = DiffParser.parse(PullRequestFixture.named("requests-crlf-line-endings").diffText)
        #expect(crlf.files[0].hunks[0].lines.allSatisfy { $0.text.isEmpty || $0.text.hasSuffix("\r") })

        let newline = DiffParser.parse(PullRequestFixture.named("argument-parser-no-trailing-newline").diffText)
        #expect(newline.files.contains { $0.hunks.contains { $0.lines.contains(where: \.noNewlineAtEnd) } })
        #expect(newline.files.contains { $0.path.contains("(") })

        let deleted = DiffParser.parse(PullRequestFixture.named("cobra-deleted-and-added-file").diffText)
        #expect(deleted.files.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.added, .removed])
    }

    @Test func emptyContextLinesAndMalformedInput() {
        let diff = DiffParser.parse("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n")
        let lines = diff.files[0].hunks[0].lines
        #expect(lines.map(\.kind) == [.context, .context, .deleted, .added])
        #expect(lines[1].newLine == 2 && lines[3].newLine == 3)
        // The same in a CRLF file: the stripped empty line is just "\r", and the hunk goes on after it.
        let crlf = DiffParser.parse("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,4 +1,4 @@\n a\r\n\r\n-b\r\n+c\r\n d\r\n")
        #expect(crlf.files.first?.hunks.first?.lines.map(\.kind) == [.context, .context, .deleted, .added, .context])
        #expect(crlf.files.first?.hunks.first?.lines[1].code == "" && crlf.files.first?.hunks.first?.lines[4].newLine == 4)
        // Malformed input gives what can be read, never a crash: no file without a header, no hunk
        // from a header whose numbers do not fit.
        for garbage in ["@@ -x +y @@", "diff --git", "+++\n---\n@@@"] {
            #expect(DiffParser.parse(garbage).files.isEmpty, "\(garbage.debugDescription)")
        }
        let overflow = DiffParser.parse("diff --git a/x b/x\n@@ -1,99999999999999999999 +1 @@\n+a")
        #expect(overflow.files.map(\.path) == ["x"] && overflow.files[0].hunks.isEmpty)
    }
}

@Suite struct AnchoringTests {
    @Test(arguments: DiffParserTests.fixtures)
    func quotedLinesAnchorExactlyDespiteWrongLineNumbers(_ name: String) {
        let diff = DiffParser.parse(PullRequestFixture.named(name).diffText)
        let anchorer = Anchorer(index: HunkIndex(diff))
        var checked = 0
        for file in diff.files {
            for side in [DiffSide.right, .left] {
                let lines = file.hunks.flatMap(\.lines).compactMap { line -> (Int, String)? in
                    guard let number = side == .right ? line.newLine : line.oldLine else { return nil }
                    if side == .right && line.kind == .deleted || side == .left && line.kind == .added { return nil }
                    return (number, String(line.text))
                }
                let counts = Dictionary(lines.map { (Finding.normalise($0.1), 1) }, uniquingKeysWith: +)
                for (number, text) in lines where counts[Finding.normalise(text)] == 1 && !Finding.normalise(text).isEmpty {
                    for shift in [-20, -7, 0, 3, 20] {
                        let finding = Finding(path: file.path, side: side, line: number + shift, quote: text, severity: .nit, title: "t", body: "b")
                        #expect(anchorer.anchor(finding) == .lines(path: file.path, side: side, start: number, end: number), "\(file.path):\(number) \(side)")
                        checked += 1
                    }
                }
            }
        }
        // Every fixture with changed lines has lines quoted once that were checked.
        #expect(checked > 0 || diff.files.allSatisfy { $0.hunks.isEmpty }, "\(name): nothing was checked")
    }

    @Test func multiLineQuotesStayInOneHunkAndFallBacks() {
        let diff = DiffParser.parse(PullRequestFixture.named("ky-small-single-file-edit").diffText)
        let index = HunkIndex(diff)
        let anchorer = Anchorer(index: index)
        let file = diff.files[0]
        let added = file.hunks[0].lines.filter { $0.kind == .added }
        let quote = added.prefix(2).map(\.text).joined(separator: "\n")
        let finding = Finding(path: file.path, line: 1, quote: quote, severity: .bug, title: "t", body: "b")
        guard case .lines(_, .right, let start, let end) = anchorer.anchor(finding) else { Issue.record("not anchored"); return }
        #expect(start == added[0].newLine && end == added[1].newLine)
        #expect(index.isValidRange(path: file.path, start: start, end: end, side: .right))
        let comment = anchorer.comment(for: finding, at: anchorer.anchor(finding), body: "x")
        #expect(comment?.startLine == start && comment?.line == end && comment?.startSide == .right)

        // A quote found nowhere goes to the body with the line it claimed, even when that line is commentable.
        let byLine = Finding(path: file.path, line: added[0].newLine, quote: "nothing like this", severity: .nit, title: "t", body: "b")
        #expect(
            anchorer.anchor(byLine)
                == .body(
                    reason: "the quoted code was not found among the lines of \(file.path) shown in the diff (the reviewer named line \(added[0].newLine!))"))
        // Part of a line is found near the claimed line; a carriage return inside a line is part of it.
        let fragment = String(Finding.normalise(added[0].text).dropFirst(2).prefix(12))
        #expect(anchorer.anchor(Finding(path: file.path, line: added[0].newLine! + 30, quote: fragment, severity: .nit, title: "t", body: "b")).isLines)
        if case .lines = anchorer.anchor(Finding(path: file.path, line: 100_000, quote: "zzz", severity: .nit, title: "t", body: "b")) {
            Issue.record("anchored nowhere")
        }
        if case .lines = anchorer.anchor(Finding(path: "not/in/diff.swift", line: 1, quote: "x", severity: .nit, title: "t", body: "b")) {
            Issue.record("anchored outside the diff")
        }
    }

    @Test func fingerprintsIgnoreLineNumbersAndWhitespace() {
        let a = Finding(path: "a.swift", line: 3, quote: "let  x = y!", severity: .bug, title: "Force unwrap 1", body: "b")
        let b = Finding(path: "a.swift", line: 90, quote: "let x = y!\n", severity: .bug, title: "force unwrap 2", body: "other")
        let c = Finding(path: "b.swift", line: 3, quote: "let x = y!", severity: .bug, title: "Force unwrap", body: "b")
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
        let marked = "- text " + ReviewMarker.finding(a.fingerprint) + "\n- more " + ReviewMarker.finding(c.fingerprint)
        #expect(ReviewMarker.fingerprints(inReview: marked) == [a.fingerprint, c.fingerprint])
        #expect(ReviewMarker.fingerprints(inComment: "**Bug: x**\n\nbody\n\n" + ReviewMarker.finding(a.fingerprint)) == [a.fingerprint])
        // Only where we write them: mid-line, in an indented line, or not on a comment's last line is text.
        #expect(ReviewMarker.fingerprints(inReview: "- `" + ReviewMarker.finding(a.fingerprint) + "` — reason") == [])
        #expect(ReviewMarker.fingerprints(inReview: "  - x " + ReviewMarker.finding(a.fingerprint)) == [])
        #expect(ReviewMarker.fingerprints(inComment: ReviewMarker.finding(a.fingerprint) + "\nmore") == [])
    }
}

@Suite struct DiffLinesTests {
    @Test func handMadeLinesEqualParsedOnes() {
        let parsed = DiffParser.parse("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n keep\r\n-old\n+new ü\n\\ No newline at end of file\n")
        let made = DiffHunk(
            oldStart: 1, oldCount: 2, newStart: 1, newCount: 2, section: "",
            lines: [
                DiffLine(kind: .context, text: "keep\r", oldLine: 1, newLine: 1),
                DiffLine(kind: .deleted, text: "old", oldLine: 2, newLine: nil),
                DiffLine(kind: .added, text: "new ü", oldLine: nil, newLine: 2, noNewlineAtEnd: true),
            ])
        #expect(parsed.files[0].hunks == [made])
        #expect(made.lines[0].code == "keep" && made.lines[2].code == "new ü")
        var changed = made
        changed.lines = [made.lines[0], made.lines[1]]
        #expect(changed != made)
    }

    @Test func claimedHugeCountsNeitherTrapNorReserve() {
        let huge = DiffParser.parseHunks("@@ -1,9223372036854775807 +1,9223372036854775807 @@\n a\n+b\n")
        #expect(huge.count == 1 && huge[0].lines.count == 2)
        #expect(DiffParser.parseHunks("@@ -1,99999999999999999999 +1 @@\n+a\n").isEmpty)
        #expect(DiffParser.parseHunks("@@ -1 +1 @@ f()\n-a\n+b\n").first?.section == "f()")
        // A start near Int.max would overflow the running line numbers: not a hunk.
        #expect(DiffParser.parseHunks("@@ -9223372036854775807,2 +9223372036854775806,3 @@\n a\n+b\n+c\n").isEmpty)
        #expect(DiffParser.parse("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +9223372036854775807,2 @@\n+a\n+b\n").files[0].hunks.isEmpty)
    }

    @Test(arguments: DiffParserTests.fixtures)
    func renderedSizeIsTheRenderedPromptsSize(_ name: String) {
        for file in DiffParser.parse(PullRequestFixture.named(name).diffText).files {
            for hunk in file.hunks {
                let rendered = ReviewPrompt.render(hunk)
                #expect(ReviewPrompt.renderedSize(hunk) == (rendered.utf8.count, rendered.utf8.filter { $0 == 10 }.count), "\(file.path)")
            }
        }
    }

    @Test func gitHeaderPaths() {
        let cases: [(header: String, old: String?, new: String?)] = [
            ("diff --git a/my file.txt b/my file.txt", "my file.txt", "my file.txt"),
            ("diff --git a/ü/ä.swift b/ü/ä.swift", "ü/ä.swift", "ü/ä.swift"),
            ("diff --git a/a b/b b/a b/b", "a b/b", "a b/b"),
            ("diff --git \"a/tab\\there\" \"b/tab\\there\"", "tab\there", "tab\there"),
            ("diff --git a/\"q\" b/\"q\"", "\"q\"", "\"q\""),
            ("diff --git \"a/\\303\\274.txt\" \"b/\\303\\274.txt\"", "ü.txt", "ü.txt"),
            // Not git's three octal digits: kept as written instead of trapping on `"!" - "0"`.
            ("diff --git \"a/x\\1!\" \"b/x\\1!\"", "x\\1!", "x\\1!"),
            ("diff --git \"a/x\\7\" \"b/x\\7\"", "x\\7", "x\\7"),
        ]
        for (header, old, new) in cases {
            let file = DiffParser.parse(header + "\nindex 1..2 100644\n").files.first
            #expect(file?.oldPath == old && file?.newPath == new, "\(header)")
        }
    }
}

@Suite struct HunkIndexTests {
    @Test func normalisedLinesAreMadeOnFirstUseAndKept() throws {
        let diff = DiffParser.parse("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n  keep   this\n-old\tline\n+new  line\n")
        let index = HunkIndex(diff)
        let right = index.lines(path: "x", side: .right)
        #expect(right == [[.init(number: 1, text: "keep this"), .init(number: 2, text: "new line")]])
        #expect(index.lines(path: "x", side: .left) == [[.init(number: 1, text: "keep this"), .init(number: 2, text: "old line")]])
        #expect(index.lines(path: "x", side: .right) == right)
        #expect(index.lines(path: "missing", side: .right).isEmpty)
        #expect(index.location(path: "x", line: 2, side: .right) == .init(hunk: 0, offset: 2))
        #expect(index.location(path: "x", line: 2, side: .left) == .init(hunk: 0, offset: 1))
        #expect(index.location(path: "x", line: 3, side: .right) == nil)
    }
}

extension Anchor {
    var isLines: Bool { if case .lines = self { true } else { false } }
}

@Suite struct AnchoringAtScaleTests {
    /// Thousands of identical lines: the nearest one to the claimed line wins, found through the hash.
    @Test func repeatedLinesAnchorToTheNearestOccurrence() {
        let lines = 20_000
        let body = (1...lines).map { $0 % 2 == 0 ? "+}\n" : "+let x\($0 % 10) = 1\n" }.joined()
        let diff = DiffParser.parse("diff --git a/a.swift b/a.swift\n--- a/a.swift\n+++ b/a.swift\n@@ -0,0 +1,\(lines) @@\n" + body)
        let anchorer = Anchorer(index: HunkIndex(diff))
        #expect(
            anchorer.anchor(Finding(path: "a.swift", line: 15_001, quote: "}", severity: .nit, title: "t", body: "b"))
                == .lines(path: "a.swift", side: .right, start: 15_000, end: 15_000))
        #expect(
            anchorer.anchor(Finding(path: "a.swift", line: 9_995, quote: "let x3 = 1\n}", severity: .nit, title: "t", body: "b"))
                == .lines(path: "a.swift", side: .right, start: 9_993, end: 9_994))
        // "\r" splits nothing: the quote is one line, and it is not in the diff.
        #expect(!anchorer.anchor(Finding(path: "a.swift", line: 3, quote: "let x3 = 1\r}", severity: .nit, title: "t", body: "b")).isLines)
    }
}

@Suite struct CrossSideAnchoringTests {
    static let diff = DiffParser.parse(
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -10,4 +10,4 @@ def run():\n     a = 1\n-    b = load(path)\n+    b = load(path, strict=True)\n     c = b\n"
    )

    /// What was removed and what replaced it, quoted together, is one range from LEFT to RIGHT.
    @Test func aQuoteOfOldAndNewLinesIsARangeAcrossSides() throws {
        let anchorer = Anchorer(index: HunkIndex(Self.diff))
        let finding = Finding(path: "a.py", line: 11, quote: "b = load(path)\nb = load(path, strict=True)", severity: .bug, title: "t", body: "b")
        let anchor = anchorer.anchor(finding)
        #expect(anchor == .acrossSides(path: "a.py", start: 11, end: 11))
        let comment = try #require(anchorer.comment(for: finding, at: anchor, body: "x"))
        #expect(comment.startSide == .left && comment.side == .right && comment.startLine == 11 && comment.line == 11)
        // Context then the new line is one side (RIGHT), not a cross-side range.
        #expect(
            anchorer.anchor(Finding(path: "a.py", line: 10, quote: "a = 1\nb = load(path, strict=True)", severity: .bug, title: "t", body: "b"))
                == .lines(path: "a.py", side: .right, start: 10, end: 11))
    }
}
