import Synchronization

/// Answers "can a review comment sit on (path, line, side), and in which hunk?" — GitHub accepts a
/// comment only on a line shown in one of the file's hunks, and a range only within one hunk.
///
/// Building it costs one dictionary entry per file: a lookup walks the few hunks of one file, and the
/// whitespace-normalised lines that quotes are matched against are made the first time a finding
/// names the file (most files of a diff never get one).
public struct HunkIndex: Sendable {
    /// Where a commentable line sits: its hunk within the file, and its offset within the hunk.
    public struct Location: Sendable, Equatable {
        public var hunk: Int
        /// Position of the line inside the hunk.
        public var offset: Int

        public init(hunk: Int, offset: Int) {
            self.hunk = hunk
            self.offset = offset
        }
    }

    /// A line shown on one side, its text with whitespace normalised (for matching quotes).
    public struct SideLine: Sendable, Equatable {
        public var number: Int
        public var text: String

        public init(number: Int, text: String) {
            self.number = number
            self.text = text
        }
    }

    public let diff: UnifiedDiff
    /// Files that have hunks, by the path a comment names.
    private let fileNumbers: [String: Int]
    private let normalised = NormalisedLineCache()

    public init(_ diff: UnifiedDiff) {
        self.diff = diff
        var fileNumbers: [String: Int] = [:]
        for (number, file) in diff.files.enumerated() where !file.hunks.isEmpty { fileNumbers[file.path] = number }
        self.fileNumbers = fileNumbers
    }

    /// Where (path, line, side) is in the diff, or nil when GitHub would reject a comment there.
    public func location(path: String, line: Int, side: DiffSide) -> Location? {
        guard let file = fileNumbers[path] else { return nil }
        for (number, hunk) in diff.files[file].hunks.enumerated() where hunk.covers(line, on: side) {
            if let offset = hunk.lines.offset(ofLine: line, on: side) { return Location(hunk: number, offset: offset) }
        }
        return nil
    }

    /// The lines each hunk shows on `side`, hunk by hunk, their texts normalised.
    public func lines(path: String, side: DiffSide) -> [[SideLine]] {
        let text = sideText(path: path, side: side)
        return text.lines.map { hunk in hunk.map { SideLine(number: $0.number, text: text.text($0)) } }
    }

    /// The lines of one side of a file, their normalised texts laid end to end in one buffer, and
    /// where each text occurs (by hash, ordered by line number). Made without a string per line.
    public struct SideText: Sendable {
        /// One shown line: its number and where its normalised text sits in `bytes`.
        public struct Line: Sendable, Equatable {
            public var number: Int
            var start: Int
            var count: Int
            var hash: UInt64
        }

        public var lines: [[Line]]
        /// Every line's normalised text, end to end.
        let bytes: [UInt8]
        /// Text hash → every (hunk, offset) showing a text with it, by ascending line number.
        let positions: [UInt64: [Location]]
        /// How many lines the side shows.
        public var count: Int

        /// Where a line with this normalised text may be (confirm with `isLine(_:_:)`).
        func candidates(for normalised: String) -> [Location] { positions[Finding.textHash(normalised)] ?? [] }

        /// The normalised text of a line.
        public func text(_ line: Line) -> String { String(decoding: bytes[line.start..<(line.start + line.count)], as: UTF8.self) }

        /// Whether the line's normalised text is exactly `normalised`, byte for byte.
        func isLine(_ line: Line, _ normalised: String) -> Bool {
            line.count == normalised.utf8.count && line.hash == Finding.textHash(normalised)
                && bytes[line.start..<(line.start + line.count)].elementsEqual(normalised.utf8)
        }

        /// Whether the line's normalised text is `pieces` with anything between them: the first at
        /// its start unless empty, the last at its end unless empty (a quote with ellipses,
        /// `ShownQuote.pieces`). Each piece is found leftmost after the one before: linear, no backtracking.
        func line(_ line: Line, matches pieces: [String]) -> Bool {
            guard pieces.count > 1 else { return pieces.first.map { isLine(line, $0) } ?? false }
            return bytes.withUnsafeBufferPointer { all in
                let text = UnsafeBufferPointer(rebasing: all[line.start..<(line.start + line.count)])
                var from = 0
                var to = text.count
                if var last = pieces.last, !last.isEmpty {
                    let count = last.utf8.count
                    guard count <= to, last.withUTF8({ text[(to - count)...].elementsEqual($0) }) else { return false }
                    to -= count
                }
                for (position, piece) in pieces.dropLast().enumerated() where !piece.isEmpty {
                    var piece = piece
                    let found = piece.withUTF8 { needle -> Int? in
                        let window = UnsafeBufferPointer(rebasing: text[from..<to])
                        if position == 0 { return window.starts(with: needle) ? 0 : nil }
                        return ByteSearch.firstIndex(of: needle, in: window)
                    }
                    guard let found else { return false }
                    from += found + piece.utf8.count
                }
                return true
            }
        }

        /// Whether `part`'s bytes occur in the line's normalised text.
        func line(_ line: Line, contains part: String) -> Bool {
            var part = part
            return part.withUTF8 { needle in
                bytes.withUnsafeBufferPointer { all in
                    ByteSearch.contains(UnsafeBufferPointer(rebasing: all[line.start..<(line.start + line.count)]), needle)
                }
            }
        }
    }

    /// `lines(path:side:)` with the hash from text to positions, made once per (file, side).
    public func sideText(path: String, side: DiffSide) -> SideText {
        guard let file = fileNumbers[path] else { return SideText(lines: [], bytes: [], positions: [:], count: 0) }
        return normalised.lines(file: file, side: side) {
            let hunks = diff.files[file].hunks
            var lines: [[SideText.Line]] = []
            lines.reserveCapacity(hunks.count)
            let bytes = [UInt8](unsafeUninitializedCapacity: hunks.reduce(0) { $0 + $1.lines.byteCount(on: side) }) { buffer, initialized in
                for hunk in hunks { lines.append(hunk.lines.normalisedLines(on: side, into: buffer, at: &initialized)) }
            }
            var positions: [UInt64: [Location]] = [:]
            positions.reserveCapacity(lines.reduce(0) { $0 + $1.count })
            for (hunk, shown) in lines.enumerated() {
                for (offset, line) in shown.enumerated() where line.count > 0 {
                    positions[line.hash, default: []].append(Location(hunk: hunk, offset: offset))
                }
            }
            return SideText(lines: lines, bytes: bytes, positions: positions, count: lines.reduce(0) { $0 + $1.count })
        }
    }

    /// Whether GitHub accepts a comment on this line of this side.
    public func isCommentable(path: String, line: Int, side: DiffSide) -> Bool {
        location(path: path, line: line, side: side) != nil
    }

    /// True when both lines are commentable on `side` and in the same hunk (a valid multi-line range).
    public func isValidRange(path: String, start: Int, end: Int, side: DiffSide) -> Bool {
        guard start <= end, let first = location(path: path, line: start, side: side),
            let last = location(path: path, line: end, side: side)
        else { return false }
        return first.hunk == last.hunk
    }
}

/// Normalised side lines and their positions per (file, side), made once on first use; shared by copies of the index.
private final class NormalisedLineCache: Sendable {
    private struct Key: Hashable {
        var file: Int
        var side: DiffSide
    }

    private let entries = Mutex<[Key: HunkIndex.SideText]>([:])

    func lines(file: Int, side: DiffSide, make: () -> HunkIndex.SideText) -> HunkIndex.SideText {
        let key = Key(file: file, side: side)
        if let cached = entries.withLock({ $0[key] }) { return cached }
        let made = make()
        entries.withLock { $0[key] = made }
        return made
    }
}

extension DiffHunk {
    /// True when `line` lies within the hunk's range on `side` (`-a,b` for LEFT, `+c,d` for RIGHT).
    func covers(_ line: Int, on side: DiffSide) -> Bool {
        let (start, count) = side == .right ? (newStart, newCount) : (oldStart, oldCount)
        return line >= start && line - start < count
    }
}

extension DiffLine {
    /// The line's number on `side`, or nil when the line is not shown there.
    public func number(on side: DiffSide) -> Int? { side == .right ? newLine : oldLine }
}
