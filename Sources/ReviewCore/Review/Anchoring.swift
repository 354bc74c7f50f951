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

    public init(path: String, line: Int, side: DiffSide, startLine: Int? = nil, startSide: DiffSide? = nil, body: String) {
        self.path = path
        self.line = line
        self.side = side
        self.startLine = startLine
        self.startSide = startSide
        self.body = body
    }

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
    /// From old line `start` (LEFT) to new line `end` (RIGHT) of one hunk: a quote of what was
    /// removed and what replaced it.
    case acrossSides(path: String, start: Int, end: Int)
    /// Not on any commentable line: reported in the review body under its file.
    case body(reason: String)
}

/// Snaps findings to lines GitHub will accept, by the quoted code only: the occurrence nearest the
/// reviewer's line number, whitespace-insensitive, a multi-line quote kept within one hunk. Whole
/// lines are found through a hash from text to positions; a quote that is part of a line is looked
/// for within `fragmentWindow` lines of the claimed line. Without evidence a finding goes to the
/// review body with the line it claimed: a line number alone is never trusted.
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
        // Lines end at "\n" only: a carriage return inside a line is part of it.
        let quote = finding.quote.split(separator: "\n").map { Finding.normalise($0) }.filter { !$0.isEmpty }
        let preferred = finding.side ?? .right
        if let anchor = place(quote, in: file, preferring: preferred, near: finding.line) { return anchor }
        // Not found as given: read it the way the prompt showed it (ShownQuote).
        let shown = ShownQuote(quote)
        if shown.quotesContext {
            return .body(reason: "the quote is a line of \(file.path) shown for reading only (~N), which is not part of the diff")
        }
        let side = shown.side ?? preferred
        let target = shown.line ?? finding.line
        if shown.rewritten, let anchor = place(shown.lines, in: file, preferring: side, near: target) { return anchor }
        // Elided code: the lines as given (a line of code may begin with `-`), then as shown.
        let readings = shown.lines == quote ? [(quote, preferred)] : [(quote, preferred), (shown.lines, side)]
        for (lines, side) in readings {
            let pieces = lines.map(ShownQuote.pieces)
            guard ShownQuote.isElidedEnough(pieces) else { continue }
            for side in [side, side.other] {
                if let match = elidedMatch(of: pieces, in: index.sideText(path: file.path, side: side), near: target) {
                    return .lines(path: file.path, side: side, start: match.start, end: match.end)
                }
            }
        }
        let claimed = finding.line.map { " (the reviewer named line \($0))" } ?? ""
        return .body(reason: "the quoted code was not found among the lines of \(file.path) shown in the diff\(claimed)")
    }

    /// The quote's lines on the preferred side, then the other, then across both sides of a hunk.
    private func place(_ quote: [String], in file: DiffFile, preferring preferred: DiffSide, near target: Int?) -> Anchor? {
        guard !quote.isEmpty else { return nil }
        for side in [preferred, preferred.other] {
            if let match = nearestMatch(of: quote, in: file, side: side, near: target) {
                return .lines(path: file.path, side: side, start: match.start, end: match.end)
            }
        }
        if let match = acrossSidesMatch(of: quote, in: file, near: target) {
            return .acrossSides(path: file.path, start: match.start, end: match.end)
        }
        return nil
    }

    /// The comment for an anchored finding.
    public func comment(for finding: Finding, at anchor: Anchor, body: String) -> ReviewComment? {
        if case .acrossSides(let path, let start, let end) = anchor {
            return ReviewComment(path: path, line: end, side: .right, startLine: start, startSide: .left, body: body)
        }
        guard case .lines(let path, let side, let start, let end) = anchor else { return nil }
        return ReviewComment(
            path: path, line: end, side: side, startLine: start < end ? start : nil, startSide: start < end ? side : nil, body: body
        )
    }

    /// How far from the claimed line a quote that is only part of a line is looked for.
    public static let fragmentWindow = 100
    /// Sides shown in fewer lines than this are searched whole for a fragment when no line is claimed.
    public static let fragmentSearchLimit = 2_000
    /// Occurrences of a quote's first line checked at most (a quote of `}` has thousands).
    static let candidateLimit = 512

    private func nearestMatch(of quote: [String], in file: DiffFile, side: DiffSide, near target: Int?) -> (start: Int, end: Int)? {
        let text = index.sideText(path: file.path, side: side)
        return exactMatch(of: quote, in: text, near: target) ?? fragmentMatch(of: quote, in: text, near: target)
    }

    /// Whole lines: the occurrences of the first line (from the hash) whose next lines follow in the same hunk.
    private func exactMatch(of quote: [String], in text: HunkIndex.SideText, near target: Int?) -> (start: Int, end: Int)? {
        let candidates = text.candidates(for: quote[0])
        guard !candidates.isEmpty else { return nil }
        // Nearest first: start at the candidate closest to the target and widen (candidates ascend by line).
        let lines = text.lines
        func number(_ location: HunkIndex.Location) -> Int { lines[location.hunk][location.offset].number }
        var order: [Int] = []
        if let target {
            var low = 0, high = candidates.count
            while low < high {
                let middle = (low + high) / 2
                if number(candidates[middle]) < target { low = middle + 1 } else { high = middle }
            }
            var below = low - 1, above = low
            while order.count < min(candidates.count, Self.candidateLimit) {
                let takeBelow =
                    below >= 0
                    && (above >= candidates.count || Self.distance(target, number(candidates[below])) <= Self.distance(number(candidates[above]), target))
                if takeBelow {
                    order.append(below)
                    below -= 1
                } else {
                    order.append(above)
                    above += 1
                }
            }
        } else {
            order = Array(candidates.indices.prefix(Self.candidateLimit))
        }
        for position in order {
            let start = candidates[position]
            let hunk = lines[start.hunk]
            guard start.offset + quote.count <= hunk.count, quote.indices.allSatisfy({ text.isLine(hunk[start.offset + $0], quote[$0]) }) else {
                continue
            }
            return (hunk[start.offset].number, hunk[start.offset + quote.count - 1].number)
        }
        return nil
    }

    /// Part of a line (at least four characters): searched near the claimed line only, so the work
    /// per finding stays bounded however large the file.
    private func fragmentMatch(of quote: [String], in text: HunkIndex.SideText, near target: Int?) -> (start: Int, end: Int)? {
        guard quote.allSatisfy({ $0.count >= 4 }), target != nil || text.count <= Self.fragmentSearchLimit else { return nil }
        var best: (start: Int, end: Int, distance: Int)?
        for lines in text.lines {
            guard lines.count >= quote.count else { continue }
            for start in Self.starts(in: lines, count: quote.count, near: target) {
                // Bytes, not characters: both sides are normalised the same way, and byte search is fast.
                guard quote.indices.allSatisfy({ text.line(lines[start + $0], contains: quote[$0]) }) else { continue }
                let distance = target.map { Self.distance($0, lines[start].number) } ?? 0
                if best == nil || distance < best!.distance { best = (lines[start].number, lines[start + quote.count - 1].number, distance) }
            }
        }
        return best.map { ($0.start, $0.end) }
    }

    /// A quote whose lines elide code with an ellipsis (each line's `pieces`): consecutive lines of
    /// one hunk that match piece by piece, near the claimed line only (`fragmentWindow`; a whole side
    /// under `fragmentSearchLimit` lines when none is claimed). Nearest wins.
    private func elidedMatch(of pieces: [[String]], in text: HunkIndex.SideText, near target: Int?) -> (start: Int, end: Int)? {
        guard !pieces.isEmpty, target != nil || text.count <= Self.fragmentSearchLimit else { return nil }
        var best: (start: Int, end: Int, distance: Int)?
        for lines in text.lines where lines.count >= pieces.count {
            for start in Self.starts(in: lines, count: pieces.count, near: target)
            where pieces.indices.allSatisfy({ text.line(lines[start + $0], matches: pieces[$0]) }) {
                let distance = target.map { Self.distance($0, lines[start].number) } ?? 0
                if best == nil || distance < best!.distance { best = (lines[start].number, lines[start + pieces.count - 1].number, distance) }
            }
        }
        return best.map { ($0.start, $0.end) }
    }

    /// The positions of a hunk's lines where a quote of `count` lines may start: all of them, or
    /// with a claimed line only those within `fragmentWindow` of it (binary search: lines ascend).
    private static func starts(in lines: [HunkIndex.SideText.Line], count: Int, near target: Int?) -> Range<Int> {
        let all = 0..<(lines.count - count + 1)
        guard let target else { return all }
        let (low, lowOverflow) = target.subtractingReportingOverflow(fragmentWindow)
        let (high, highOverflow) = target.addingReportingOverflow(fragmentWindow)
        let first = firstIndex(in: lines, atLeast: lowOverflow ? .min : low)
        let end = firstIndex(in: lines, atLeast: highOverflow ? .max : high + 1)
        return first < min(end, all.upperBound) ? first..<min(end, all.upperBound) : 0..<0
    }

    /// A quote of two or more lines that runs, in diff order, from a deleted or context line to an
    /// added or context line of one hunk, holding both a deleted and an added line. Whole lines
    /// only, and only in hunks within `fragmentWindow` lines of the claimed line (any hunk of a side
    /// under `fragmentSearchLimit` lines when none is claimed).
    private func acrossSidesMatch(of quote: [String], in file: DiffFile, near target: Int?) -> (start: Int, end: Int)? {
        guard quote.count >= 2, target != nil || file.hunks.reduce(0, { $0 + $1.lines.count }) <= Self.fragmentSearchLimit else { return nil }
        var best: (start: Int, end: Int, distance: Int)?
        for hunk in file.hunks where hunk.lines.count >= quote.count {
            if let target {
                let near = { (start: Int, count: Int) in target >= start - Self.fragmentWindow && target <= start + count + Self.fragmentWindow }
                guard near(hunk.newStart, hunk.newCount) || near(hunk.oldStart, hunk.oldCount) else { continue }
            }
            let lines = Array(hunk.lines)
            let texts = lines.map { Finding.normalise($0.text) }
            for start in 0...(lines.count - quote.count) where texts[start] == quote[0] {
                let window = lines[start..<(start + quote.count)]
                guard zip(texts[start..<(start + quote.count)], quote).allSatisfy({ $0 == $1 }),
                    let first = window.first?.oldLine, let last = window.last?.newLine,
                    window.contains(where: { $0.kind == .deleted }), window.contains(where: { $0.kind == .added })
                else { continue }
                let distance = target.map { Self.distance($0, last) } ?? 0
                if best == nil || distance < best!.distance { best = (first, last, distance) }
            }
        }
        return best.map { ($0.start, $0.end) }
    }

    /// The first position whose line number is at least `number` (`lines` ascend).
    private static func firstIndex(in lines: [HunkIndex.SideText.Line], atLeast number: Int) -> Int {
        var low = 0, high = lines.count
        while low < high {
            let middle = (low + high) / 2
            if lines[middle].number < number { low = middle + 1 } else { high = middle }
        }
        return low
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
