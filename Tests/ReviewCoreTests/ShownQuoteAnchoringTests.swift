import Foundation
import ReviewCore
import ReviewTesting
import Testing

/// Quotes as models really write them when they copy from the prompt (`+12 | code`, `+code`, a line
/// cut short with `…`): each lands on its line, and what must not be placed still goes to the body.
@Suite struct ShownQuoteAnchoringTests {
    static let path = "src/app.ts"
    static let diff = DiffParser.parse(
        """
        diff --git a/src/app.ts b/src/app.ts
        --- a/src/app.ts
        +++ b/src/app.ts
        @@ -10,5 +10,6 @@ export async function run(path: string) {
           const config = loadConfig(path);
        -  const result = fetchData(config.url, { retries: 3 });
        +  const result = await fetchData(config.url, { retries: 3, timeout: 5000 });
        +  const items = result.items.filter((item) => item.enabled && item.visible);
           return items;
         }
         export default run;
        @@ -198,3 +199,4 @@ function other() {
           const cache = new Map<string, number>();
        +  return items;
           cache.clear();
         }

        """
    )
    static let added11 = "  const result = await fetchData(config.url, { retries: 3, timeout: 5000 });"
    static let added12 = "  const items = result.items.filter((item) => item.enabled && item.visible);"
    static let deleted11 = "  const result = fetchData(config.url, { retries: 3 });"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var quote: String
        var line: Int?
        var side: DiffSide = .right
        var expected: Anchor?
        var testDescription: String { name }
    }

    static func lines(_ side: DiffSide, _ start: Int, _ end: Int? = nil) -> Anchor {
        .lines(path: path, side: side, start: start, end: end ?? start)
    }

    static let placed: [Case] = [
        Case(name: "added line with the prompt's prefix", quote: "+11 | \(added11)", line: 11, expected: lines(.right, 11)),
        Case(
            name: "context line with the prompt's prefix (its leading space kept)", quote: " 10 | const config = loadConfig(path);", line: 3,
            expected: lines(.right, 10)),
        Case(name: "prefix without spaces around the bar", quote: "+12|\(added12)", line: nil, expected: lines(.right, 12)),
        Case(name: "deleted line's prefix names the left side", quote: "-11 | \(deleted11)", line: 11, side: .right, expected: lines(.left, 11)),
        Case(name: "added line with its diff marker", quote: "+\(added12)", line: 40, expected: lines(.right, 12)),
        Case(name: "deleted line with its diff marker", quote: "-\(deleted11)", line: 11, side: .right, expected: lines(.left, 11)),
        Case(
            name: "marker then the line's own indentation", quote: "+    const items = result.items.filter((item) => item.enabled && item.visible);", line: 12,
            expected: lines(.right, 12)),
        Case(name: "two prefixed lines are a range", quote: "+11 | \(added11)\n+12 | \(added12)", line: 1, expected: lines(.right, 11, 12)),
        Case(
            name: "prefixed context and added lines are a range", quote: " 10 | const config = loadConfig(path);\n+11 | \(added11)", line: nil,
            expected: lines(.right, 10, 11)),
        Case(
            name: "removed and replacing lines with their prefixes cross sides", quote: "-11 | \(deleted11)\n+11 | \(added11)", line: 11,
            expected: .acrossSides(path: path, start: 11, end: 11)),
        Case(name: "a long line cut short with …", quote: "const items = result.items.filter((item) => item.enab…", line: 14, expected: lines(.right, 12)),
        Case(name: "a long line cut short with ...", quote: "const result = await fetchData(config.url, { retries...", line: 9, expected: lines(.right, 11)),
        Case(name: "prefix and a cut-short line", quote: "+11 | const result = await fetchData(config.url, {…", line: nil, expected: lines(.right, 11)),
        Case(name: "code elided in the middle", quote: "const result = await fetchData(…, timeout: 5000 });", line: 11, expected: lines(.right, 11)),
        Case(name: "deleted line cut short keeps its side", quote: "-11 | const result = fetchData(config.url, { ret…", line: nil, expected: lines(.left, 11)),
        Case(name: "the prefix's number beats the claimed line", quote: " 13 | return items;", line: 200, expected: lines(.right, 13)),
        Case(name: "the prefix's number beats the claimed line, other way", quote: "+200 | return items;", line: 13, expected: lines(.right, 200)),
        Case(
            name: "prefixed text elsewhere: the nearest occurrence to the prefix's line", quote: "+198 | return items;", line: 13, expected: lines(.right, 200)),
    ]

    static let wrapped: [Case] = [
        Case(name: "one line in backticks", quote: "`\(added12)`", line: 12, expected: lines(.right, 12)),
        Case(name: "lines in a code fence", quote: "```ts\n\(added11)\n\(added12)\n```", line: 12, expected: lines(.right, 11, 12)),
        Case(name: "prefixed lines in a code fence", quote: "```\n+11 | \(added11)\n```", line: nil, expected: lines(.right, 11)),
    ]

    static let toBody: [Case] = [
        Case(name: "prefixed quote whose text is not on that line nor anywhere", quote: "+11 | const nothing = here();", line: 11),
        Case(name: "marker-only quote of text that is not there", quote: "+  const nothing = here();", line: 11),
        Case(name: "a context line (~N) whose text is also a diff line", quote: "~14 | }", line: 14),
        Case(
            name: "a context line mixed with a diff line", quote: "~9 | export async function run(path: string) {\n 10 | const config = loadConfig(path);",
            line: 10),
        Case(name: "the gap between context runs", quote: "~ ⋯", line: 10),
        Case(name: "a cut-short quote of too few words", quote: "const items…", line: 12),
        Case(name: "a cut-short quote of one word", quote: "return...", line: 13),
        Case(name: "a cut-short quote whose start is not a line's start", quote: "items.filter((item) => item.enabled…", line: 12),
        Case(name: "a cut-short quote of a line not near the claimed one", quote: "const cache = new Map<string, num…", line: 12),
    ]

    @Test(arguments: placed + wrapped)
    func placesTheQuoteAsThePromptShowedIt(_ test: Case) throws {
        let anchorer = Anchorer(index: HunkIndex(Self.diff))
        let finding = Finding(path: Self.path, side: test.side, line: test.line, quote: test.quote, severity: .bug, title: "t", body: "b")
        let anchor = anchorer.anchor(finding)
        #expect(anchor == test.expected)
        // Whatever is placed is a comment GitHub accepts.
        let comment = try #require(anchorer.comment(for: finding, at: anchor, body: "x"))
        #expect(Self.isAccepted(comment, by: HunkIndex(Self.diff)))
    }

    @Test(arguments: toBody)
    func stillGoesToTheBody(_ test: Case) {
        let anchorer = Anchorer(index: HunkIndex(Self.diff))
        let anchor = anchorer.anchor(Finding(path: Self.path, side: test.side, line: test.line, quote: test.quote, severity: .bug, title: "t", body: "b"))
        guard case .body = anchor else {
            Issue.record("placed at \(anchor)")
            return
        }
    }

    @Test func aContextLineSaysWhyItIsNotPlaced() {
        let anchorer = Anchorer(index: HunkIndex(Self.diff))
        #expect(
            anchorer.anchor(Finding(path: Self.path, line: 14, quote: "~14 | }", severity: .bug, title: "t", body: "b"))
                == .body(reason: "the quote is a line of src/app.ts shown for reading only (~N), which is not part of the diff"))
    }

    /// Code that really holds what a reading would strip is found as given first.
    @Test func codeThatLooksLikeAPrefixIsFoundAsGiven() {
        let diff = DiffParser.parse(
            "diff --git a/notes.md b/notes.md\n--- a/notes.md\n+++ b/notes.md\n@@ -1,1 +1,4 @@\n # Notes\n+- item\n+item\n+3 | 4 are flags...\n")
        let anchorer = Anchorer(index: HunkIndex(diff))
        func anchor(_ quote: String, _ line: Int) -> Anchor {
            anchorer.anchor(Finding(path: "notes.md", line: line, quote: quote, severity: .nit, title: "t", body: "b"))
        }
        #expect(anchor("- item", 3) == .lines(path: "notes.md", side: .right, start: 2, end: 2))
        #expect(anchor("+- item", 3) == .lines(path: "notes.md", side: .right, start: 2, end: 2))
        #expect(anchor("+3 | - item", 3) == .lines(path: "notes.md", side: .right, start: 2, end: 2))
        #expect(anchor("3 | 4 are flags...", 1) == .lines(path: "notes.md", side: .right, start: 4, end: 4))
        #expect(anchor("+4 | 3 | 4 are flags...", 1) == .lines(path: "notes.md", side: .right, start: 4, end: 4))
    }

    /// The prompt's numbers change from push to push; the finding does not.
    @Test func fingerprintsIgnoreThePromptsPrefixes() {
        func fingerprint(_ quote: String) -> String {
            Finding(path: "a.ts", line: 1, quote: quote, severity: .bug, title: "t", body: "b").fingerprint
        }
        #expect(fingerprint("+152 | let x = y!") == fingerprint("let x = y!"))
        #expect(fingerprint("+153 | let x = y!\n 154 | z()") == fingerprint("let x = y!\nz()"))
        #expect(fingerprint("-152 | let x = y!") == fingerprint("let x = y!"))
        #expect(fingerprint("let x = y!") != fingerprint("let x = z!"))
    }

    /// Every line of every fixture quoted once on its side, in each form a model copies from the
    /// prompt, lands on that line; and every comment made is one GitHub accepts.
    @Test(arguments: DiffParserTests.fixtures)
    func everyFixtureLineInEveryShownFormLandsOnItsLine(_ name: String) throws {
        let diff = DiffParser.parse(PullRequestFixture.named(name).diffText)
        let index = HunkIndex(diff)
        let anchorer = Anchorer(index: index)
        var checked = 0
        for file in diff.files {
            for side in [DiffSide.right, .left] {
                let shown = file.hunks.flatMap(\.lines).compactMap { line -> (number: Int, kind: DiffLine.Kind, text: String)? in
                    guard let number = line.number(on: side), side == .right ? line.kind != .deleted : line.kind != .added else { return nil }
                    return (number, line.kind, String(line.text))
                }
                let normalised = shown.map { Finding.normalise($0.text) }
                let counts = Dictionary(normalised.map { ($0, 1) }, uniquingKeysWith: +)
                // A context line's prefix names its new-side number, so context is quoted on the right only.
                for (position, line) in shown.enumerated()
                where counts[normalised[position]] == 1 && !normalised[position].isEmpty && (side == .right || line.kind != .context) {
                    let marker = line.kind == .added ? "+" : line.kind == .deleted ? "-" : " "
                    var forms = ["\(marker)\(line.number) | \(line.text)"]
                    if line.kind != .context { forms.append(marker + line.text) }
                    // Cut short: the shortest start of at least 60% of the line that no other line of this side starts with.
                    let text = normalised[position]
                    let cut = String(text.prefix(max(text.count * 3 / 5, 1))).trimmingCharacters(in: .whitespaces)
                    if ShownQuoteAnchoringTests.words(cut) >= 3 && cut.utf8.filter({ $0 != 0x20 }).count >= 12 && text.count > cut.count
                        && !cut.contains("...") && !cut.contains("…") && normalised.filter({ $0.hasPrefix(cut) }).count == 1
                    {
                        forms.append(cut + "…")
                        forms.append("\(marker)\(line.number) | \(cut)...")
                    }
                    for (shift, form) in zip([0, -9, 14, 60], forms) {
                        let finding = Finding(path: file.path, side: side, line: line.number + shift, quote: form, severity: .nit, title: "t", body: "b")
                        let anchor = anchorer.anchor(finding)
                        #expect(
                            anchor == .lines(path: file.path, side: side, start: line.number, end: line.number), "\(name) \(file.path):\(line.number) \(form)")
                        if let comment = anchorer.comment(for: finding, at: anchor, body: "x") { #expect(Self.isAccepted(comment, by: index)) }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 0 || diff.files.allSatisfy { $0.hunks.isEmpty }, "\(name): nothing was checked")
    }

    static func words(_ text: String) -> Int {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).count
    }

    /// GitHub's rule: a comment sits on a line of a hunk, a range within one hunk (or from the
    /// left side to the right of one hunk).
    static func isAccepted(_ comment: ReviewComment, by index: HunkIndex) -> Bool {
        guard let start = comment.startLine, let startSide = comment.startSide else {
            return index.isCommentable(path: comment.path, line: comment.line, side: comment.side)
        }
        if startSide == comment.side { return index.isValidRange(path: comment.path, start: start, end: comment.line, side: comment.side) }
        guard let first = index.location(path: comment.path, line: start, side: startSide),
            let last = index.location(path: comment.path, line: comment.line, side: comment.side)
        else { return false }
        return first.hunk == last.hunk
    }
}
