import Foundation

/// A review comment as GitHub's create-review API takes it: `line`/`side` (+ `start_line`/
/// `start_side` for a range), never the deprecated `position`.
public struct ReviewComment: Codable, Sendable, Equatable {
    public var path: String
    public var line: Int
    public var side: DiffSide
    public var startLine: Int?
    public var startSide: DiffSide?
    public var body: String

    enum CodingKeys: String, CodingKey {
        case path, line, side, body
        case startLine = "start_line"
        case startSide = "start_side"
    }
}

/// Where a finding landed.
public enum Anchor: Sendable, Equatable {
    /// On these lines of the diff (start == end for one line).
    case lines(path: String, side: DiffSide, start: Int, end: Int)
    /// Not on any commentable line: reported in the review body under its file.
    case body(reason: String)
}

/// Snaps findings to lines GitHub will accept: by the quoted code (the occurrence nearest the
/// reviewer's line number, whitespace-insensitive, a multi-line quote kept within one hunk), else by
/// the line number when that line is commentable, else into the review body.
public struct Anchorer: Sendable {
    public let index: HunkIndex

    public init(index: HunkIndex) { self.index = index }

    /// Where `finding` goes: lines GitHub accepts, or the body with why.
    public func anchor(_ finding: Finding) -> Anchor {
        guard let file = index.diff.file(finding.path) ?? index.diff.file(Self.stripGitPrefix(finding.path)) else {
            return .body(reason: "\(finding.path) is not part of this diff")
        }
        guard !file.hunks.isEmpty else {
            return .body(reason: file.isBinary ? "\(file.path) is binary" : "\(file.path) has no changed lines")
        }
        let quote = finding.quote.split(whereSeparator: \.isNewline).map { Finding.normalise(String($0)) }.filter { !$0.isEmpty }
        let preferred = finding.side ?? .right
        if !quote.isEmpty {
            for side in [preferred, preferred.other] {
                if let match = nearestMatch(of: quote, in: file, side: side, near: finding.line) {
                    return .lines(path: file.path, side: side, start: match.start, end: match.end)
                }
            }
        }
        if let line = finding.line, index.isCommentable(path: file.path, line: line, side: preferred) {
            return .lines(path: file.path, side: preferred, start: line, end: line)
        }
        return .body(reason: "the quoted code was not found among the changed lines of \(file.path)")
    }

    /// The comment for an anchored finding.
    public func comment(for finding: Finding, at anchor: Anchor, body: String) -> ReviewComment? {
        guard case .lines(let path, let side, let start, let end) = anchor else { return nil }
        return ReviewComment(
            path: path, line: end, side: side, startLine: start < end ? start : nil, startSide: start < end ? side : nil, body: body
        )
    }

    private func nearestMatch(of quote: [String], in file: DiffFile, side: DiffSide, near target: Int?) -> (start: Int, end: Int)? {
        var best: (start: Int, end: Int, distance: Int, exact: Bool)?
        for lines in index.lines(path: file.path, side: side) {
            guard lines.count >= quote.count else { continue }
            for start in 0...(lines.count - quote.count) {
                var exact = true
                var matches = true
                for (offset, wanted) in quote.enumerated() {
                    let text = lines[start + offset].text
                    if text == wanted { continue }
                    exact = false
                    if wanted.count < 4 || !text.contains(wanted) { matches = false; break }
                }
                guard matches else { continue }
                let first = lines[start].number, last = lines[start + quote.count - 1].number
                let distance = target.map { Self.distance($0, first) } ?? 0
                if let current = best, (current.exact && !exact) || (current.exact == exact && current.distance <= distance) { continue }
                best = (first, last, distance, exact)
            }
        }
        return best.map { ($0.start, $0.end) }
    }

    /// |a − b|, saturating: a model may answer any line number, Int.min included.
    static func distance(_ a: Int, _ b: Int) -> Int {
        let (difference, overflow) = a.subtractingReportingOverflow(b)
        return overflow || difference == .min ? .max : abs(difference)
    }

    private static func stripGitPrefix(_ path: String) -> String {
        path.hasPrefix("a/") || path.hasPrefix("b/") ? String(path.dropFirst(2)) : path
    }
}
