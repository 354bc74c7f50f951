import Crypto
import Foundation

/// The hidden markers the bot writes into what it posts, so later runs recognise their own work.
/// They count only in text this App's bot account wrote (the caller checks the author) and only
/// where we write them: the review marker as the body's last line, a fingerprint as an inline
/// comment's last line or at the end of a top-level list item of a review body.
/// Untrusted text cannot contain `<!--` in what we post (`MarkdownText`), so a marker it carries
/// never reaches GitHub from us.
public enum ReviewMarker {
    /// `<!-- prreview:fp=… -->` at the end of each comment (and each finding listed in a review body).
    public static func finding(_ fingerprint: String) -> String { "<!-- prreview:fp=\(fingerprint) -->" }

    /// `<!-- prreview:review commit=… -->` as the last line of each review the bot posts.
    public static func review(commit: String) -> String { "<!-- prreview:review commit=\(commit) -->" }

    /// The commit a review (by this App) says it reviewed, from its last line.
    public static func reviewedCommit(_ body: String) -> String? {
        guard let line = lastLine(body), line.hasPrefix("<!-- prreview:review commit="), line.hasSuffix(" -->") else { return nil }
        let sha = line.dropFirst("<!-- prreview:review commit=".count).dropLast(4)
        return sha.count == 40 || sha.count == 64 ? (sha.allSatisfy(\.isHexDigit) ? String(sha) : nil) : nil
    }

    /// `<!-- prreview:reply to=… -->` as the last line of each answer to a comment.
    public static func reply(to commentId: Int) -> String { "<!-- prreview:reply to=\(commentId) -->" }

    /// `<!-- prreview:walkthrough head=… -->` as the last line of the walkthrough comment.
    public static func walkthrough(head: String) -> String { "<!-- prreview:walkthrough head=\(head) -->" }

    /// The comment id an answer (by this App) says it answers, from its last line.
    public static func answeredComment(_ body: String) -> Int? {
        guard let line = lastLine(body), line.hasPrefix("<!-- prreview:reply to="), line.hasSuffix(" -->") else { return nil }
        return Int(line.dropFirst("<!-- prreview:reply to=".count).dropLast(4))
    }

    /// Whether `body` (of a comment by this App) is the walkthrough.
    public static func isWalkthrough(_ body: String) -> Bool {
        guard let line = lastLine(body) else { return false }
        return line.hasPrefix("<!-- prreview:walkthrough head=") && line.hasSuffix(" -->")
    }

    /// The last line that is not blank, trimmed: where the markers that end a body sit.
    private static func lastLine(_ body: String) -> String? {
        lines(body).last { !$0.allSatisfy(\.isWhitespace) }?.trimmingCharacters(in: .whitespaces)
    }

    /// The lines of a body as we write them and as GitHub shows them: split at `\n` (a `\r` before
    /// it dropped) and nowhere else — not at U+2028 or the other characters Swift counts as line
    /// breaks, which Markdown shows inside a line, so text cannot forge a line of ours with them.
    private static func lines(_ body: String) -> [Substring] {
        body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    /// Whether `body` (of a review by this App) ends with the review marker for `commit`.
    public static func marksReview(of commit: String, _ body: String) -> Bool {
        lastLine(body) == review(commit: commit)
    }

    /// The fingerprint an inline comment (by this App) carries as its last line.
    public static func fingerprints(inComment body: String) -> [String] {
        lastLine(body).flatMap { fingerprint(endingLine: $0[...]) }.map { [$0] } ?? []
    }

    /// The fingerprints a review body (by this App) carries at the end of its top-level list items
    /// — never from inside a fenced block, where a finding's suggestion (the model's text) sits.
    public static func fingerprints(inReview body: String) -> [String] {
        var found: [String] = []
        var fence = 0  // the backtick count of the open fence, 0 outside one
        for line in lines(body) {
            let start = line.drop { $0 == " " }  // a fence inside a list item is indented
            let ticks = start.prefix { $0 == "`" }.count
            if fence > 0 {
                if ticks >= fence, start.dropFirst(ticks).allSatisfy(\.isWhitespace) { fence = 0 }
                continue
            }
            if ticks >= 3 {
                fence = ticks
                continue
            }
            if line.hasPrefix("- "), let print = fingerprint(endingLine: line.trimmingCharacters(in: .whitespaces)[...]) { found.append(print) }
        }
        return found
    }

    private static func fingerprint(endingLine line: Substring) -> String? {
        let prefix = "<!-- prreview:fp=", suffix = " -->"
        guard line.hasSuffix(suffix), let start = line.range(of: prefix, options: .backwards) else { return nil }
        let value = line[start.upperBound...].dropLast(suffix.count)
        guard !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return String(value)
    }
}
