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

    /// Whether `body` (of a review by this App) ends with the review marker for `commit`.
    public static func marksReview(of commit: String, _ body: String) -> Bool {
        let lastLine = body.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
        return lastLine?.trimmingCharacters(in: .whitespaces) == review(commit: commit)
    }

    /// The fingerprint an inline comment (by this App) carries as its last line.
    public static func fingerprints(inComment body: String) -> [String] {
        let lastLine = body.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
        return lastLine.flatMap { fingerprint(endingLine: $0.trimmingCharacters(in: .whitespaces)[...]) }.map { [$0] } ?? []
    }

    /// The fingerprints a review body (by this App) carries at the end of its top-level list items.
    public static func fingerprints(inReview body: String) -> [String] {
        body.split(whereSeparator: \.isNewline).compactMap { line in
            line.hasPrefix("- ") ? fingerprint(endingLine: line.trimmingCharacters(in: .whitespaces)[...]) : nil
        }
    }

    private static func fingerprint(endingLine line: Substring) -> String? {
        let prefix = "<!-- prreview:fp=", suffix = " -->"
        guard line.hasSuffix(suffix), let start = line.range(of: prefix, options: .backwards) else { return nil }
        let value = line[start.upperBound...].dropLast(suffix.count)
        guard !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return String(value)
    }
}
