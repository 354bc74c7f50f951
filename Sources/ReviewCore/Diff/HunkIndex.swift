/// GitHub's side of a diff: `RIGHT` is the new file (added and context lines), `LEFT` the old one
/// (deleted and context lines).
public enum DiffSide: String, Sendable, Equatable, Codable {
    case left = "LEFT"
    case right = "RIGHT"

    public var other: DiffSide { self == .left ? .right : .left }
}

/// Answers "can a review comment sit on (path, line, side), and in which hunk?" — GitHub accepts a
/// comment only on a line shown in one of the file's hunks, and a range only within one hunk.
public struct HunkIndex: Sendable {
    public struct Location: Sendable, Equatable {
        public var hunk: Int
        /// Position of the line inside the hunk.
        public var offset: Int
    }

    /// A line shown on one side, its text with whitespace normalised (for matching quotes).
    public struct SideLine: Sendable, Equatable {
        public var number: Int
        public var text: String
    }

    private var locations: [String: [DiffSide: [Int: Location]]] = [:]
    private var sideLines: [String: [DiffSide: [[SideLine]]]] = [:]
    public let diff: UnifiedDiff

    public init(_ diff: UnifiedDiff) {
        self.diff = diff
        for file in diff.files where !file.hunks.isEmpty {
            var bySide: [DiffSide: [Int: Location]] = [.left: [:], .right: [:]]
            var texts: [DiffSide: [[SideLine]]] = [.left: [], .right: []]
            for (hunkNumber, hunk) in file.hunks.enumerated() {
                var left: [SideLine] = [], right: [SideLine] = []
                for (offset, line) in hunk.lines.enumerated() {
                    let location = Location(hunk: hunkNumber, offset: offset)
                    let text = Finding.normalise(line.text)
                    if let new = line.newLine {
                        bySide[.right]![new] = location
                        right.append(SideLine(number: new, text: text))
                    }
                    if let old = line.oldLine {
                        bySide[.left]![old] = location
                        left.append(SideLine(number: old, text: text))
                    }
                }
                texts[.left]!.append(left)
                texts[.right]!.append(right)
            }
            locations[file.path] = bySide
            sideLines[file.path] = texts
        }
    }

    /// Where (path, line, side) is in the diff, or nil when GitHub would reject a comment there.
    public func location(path: String, line: Int, side: DiffSide) -> Location? {
        locations[path]?[side]?[line]
    }

    /// The lines each hunk shows on `side`, hunk by hunk.
    public func lines(path: String, side: DiffSide) -> [[SideLine]] {
        sideLines[path]?[side] ?? []
    }

    public func isCommentable(path: String, line: Int, side: DiffSide) -> Bool {
        location(path: path, line: line, side: side) != nil
    }

    /// True when both lines are commentable on `side` and in the same hunk (a valid multi-line range).
    public func isValidRange(path: String, start: Int, end: Int, side: DiffSide) -> Bool {
        guard start <= end, let first = location(path: path, line: start, side: side),
              let last = location(path: path, line: end, side: side) else { return false }
        return first.hunk == last.hunk
    }
}
