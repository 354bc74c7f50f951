import Foundation
import ReviewCore
import Testing

@Suite struct ReviewComposerTests {
    /// A small diff: one file, added lines 1…40 on the right.
    static let diff = DiffParser.parse(
        "diff --git a/src/app.py b/src/app.py\n--- a/src/app.py\n+++ b/src/app.py\n@@ -0,0 +1,40 @@\n"
            + (1...40).map { "+line \($0) = compute(\($0))\n" }.joined()
    )
    static let footer = ReviewComposer.Footer(
        provider: "rules", model: "rules-v1", usage: ModelUsage(inputTokens: 120, outputTokens: 30, costUSD: 0.0012), latencyMs: 57)
    static let head = "0123456789abcdef0123456789abcdef01234567"

    static func finding(_ line: Int, _ severity: Finding.Severity = .bug, title: String = "Problem") -> Finding {
        Finding(path: "src/app.py", line: line, quote: "line \(line) = compute(\(line))", severity: severity, title: "\(title) \(line)", body: "Explained.")
    }

    static func compose(_ findings: [Finding], maxComments: Int = 30, notReviewed: [ReviewScope.Skipped] = []) -> ReviewComposer.Composed {
        ReviewComposer(anchorer: Anchorer(index: HunkIndex(diff)), maxComments: maxComments)
            .compose(findings: findings, summary: "Adds a table.", headSha: head, notReviewed: notReviewed, footer: footer, reviewedFiles: 1)
    }

    @Test func anchoredFindingsBecomeInlineCommentsMostSevereFirst() {
        let composed = Self.compose([Self.finding(5, .nit), Self.finding(9, .security), Self.finding(2, .bug)])
        // Severity order: bug, security, performance, maintainability, nit.
        #expect(composed.comments.map(\.line) == [2, 9, 5])
        #expect(composed.comments.allSatisfy { $0.path == "src/app.py" && $0.side == .right })
        #expect(composed.bodyFindings.isEmpty && composed.droppedNits == 0)
        // Each comment ends with its finding's marker.
        for (comment, finding) in zip(composed.comments, [Self.finding(2, .bug), Self.finding(9, .security), Self.finding(5, .nit)]) {
            #expect(comment.body.hasSuffix(ReviewMarker.finding(finding.fingerprint)))
        }
    }

    @Test func theBodyCarriesSummaryTallyNotReviewedAndFooter() {
        let composed = Self.compose([Self.finding(1), Self.finding(3, .nit)], notReviewed: [ReviewScope.Skipped(path: "go.sum", reason: "lockfile")])
        let body = composed.body
        #expect(body.hasPrefix("## Automated review\n\nAdds a table."))
        #expect(body.contains("2 findings in 1 reviewed file: 1 bug, 1 nit."))
        #expect(body.contains("### Not reviewed\n\n- `go.sum` — lockfile"))
        #expect(body.contains("rules · rules-v1 · 120 input / 30 output tokens · $0.0012 · 57 ms · reviewed 0123456789ab"))
        #expect(body.hasSuffix(ReviewMarker.review(commit: Self.head)))
        #expect(ReviewMarker.marksReview(of: Self.head, body))
    }

    @Test func noFindingsSaysSo() {
        #expect(Self.compose([]).body.contains("No problems found in 1 reviewed file."))
    }

    @Test func overTheCommentLimitGoesToTheBodyWithItsMarker() {
        let findings = (1...5).map { Self.finding($0) }
        let composed = Self.compose(findings, maxComments: 3)
        #expect(composed.comments.count == 3 && composed.bodyFindings == Array(findings.suffix(2)))
        #expect(composed.body.contains("### Findings not shown inline"))
        #expect(composed.body.contains("over the limit of 3 inline comments"))
        #expect(Set(ReviewMarker.fingerprints(inReview: composed.body)) == Set(findings.suffix(2).map(\.fingerprint)))
    }

    @Test func unanchorableFindingsGoToTheBodyUnderTheirFile() {
        let away = Finding(path: "src/app.py", line: 900, quote: "not in the diff", severity: .bug, title: "Elsewhere", body: "b")
        let composed = Self.compose([away])
        #expect(composed.comments.isEmpty && composed.bodyFindings == [away])
        #expect(composed.body.contains("**`src/app.py`**\n- **Bug: Elsewhere** (line 900)"))
    }

    @Test func nitsOverTheirCapAreDroppedAndCounted() {
        let composed = Self.compose((1...(ReviewComposer.maxNits + 2)).map { Self.finding($0, .nit) })
        #expect(composed.comments.count == ReviewComposer.maxNits && composed.droppedNits == 2)
        #expect(composed.body.contains("_2 more nits not shown._"))
    }

    @Test func foldingMovesEveryCommentIntoTheBodyKeepingMarkers() {
        let composed = Self.compose([Self.finding(4), Self.finding(7, .security)])
        let folded = ReviewComposer.foldingComments(composed)
        #expect(folded.comments.isEmpty)
        #expect(folded.body.contains("### Comments (GitHub refused them inline)"))
        #expect(folded.body.contains("- `src/app.py:7` **Security: Problem 7**"))
        #expect(Set(ReviewMarker.fingerprints(inReview: folded.body)) == Set([Self.finding(4), Self.finding(7, .security)].map(\.fingerprint)))
        // The footer (and the review marker) stay last.
        #expect(folded.body.hasSuffix(ReviewMarker.review(commit: Self.head)))
    }

    @Test func anOverLongBodyIsCutKeepingTheFooter() {
        let long = (1...40).map {
            Finding(path: "src/app.py", line: 1000 + $0, quote: "nowhere", severity: .bug, title: "T", body: String(repeating: "x", count: 3000))
        }
        let composed = Self.compose(long)
        #expect(composed.body.count <= ReviewComposer.maxBodyCharacters)
        #expect(composed.body.contains("_… truncated to fit GitHub's limit._"))
        #expect(composed.body.hasSuffix(ReviewMarker.review(commit: Self.head)))
    }

    @Test func suggestionsAreFencedOnlyOnTheRightSide() {
        var finding = Self.finding(6)
        finding.suggestion = "line 6 = compute(7)\n```\nescape"
        let body = ReviewComposer.commentBody(finding, anchor: .lines(path: "src/app.py", side: .right, start: 6, end: 6))
        #expect(body.contains("```suggestion") || body.contains("~~~suggestion") || body.contains("````suggestion"))
        #expect(!ReviewComposer.commentBody(finding, anchor: .lines(path: "src/app.py", side: .left, start: 6, end: 6)).contains("suggestion"))
    }
}
