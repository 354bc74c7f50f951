import Crypto
import Foundation

/// One problem a reviewer (a model or the built-in rules) reports, in the findings schema.
public struct Finding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
        case bug, security, performance, maintainability, nit

        /// Most severe first.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    }

    public var path: String
    public var side: DiffSide?
    /// The reviewer's idea of the line (new-side number for RIGHT); may be wrong — the quote decides.
    public var line: Int?
    /// The exact code line(s) the finding is about.
    public var quote: String
    public var severity: Severity
    public var title: String
    public var body: String
    public var suggestion: String?
    /// A stable rule id from the rules reviewer (e.g. `debug-print`); nil for model findings.
    public var rule: String?

    public init(
        path: String, side: DiffSide? = .right, line: Int?, quote: String, severity: Severity, title: String, body: String,
        suggestion: String? = nil, rule: String? = nil
    ) {
        self.path = path
        self.side = side
        self.line = line
        self.quote = quote
        self.severity = severity
        self.title = title
        self.body = body
        self.suggestion = suggestion
        self.rule = rule
    }

    /// Identifies the finding across runs and pushes: path, the quoted code with whitespace
    /// normalised, and its class (the rule, or severity + normalised title). Line numbers are left
    /// out on purpose, so a finding that moved is still the same finding.
    public var fingerprint: String {
        let kind = rule ?? severity.rawValue + ":" + Self.normalise(title).lowercased().filter { !$0.isNumber }
        let material = [path, Self.normalise(quote), kind].joined(separator: "\n")
        return SHA256.hash(data: Data(material.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Lines joined by single spaces with every run of whitespace collapsed.
    public static func normalise(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for byte in text.utf8 {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
                pendingSpace = !out.isEmpty
            default:
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

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
