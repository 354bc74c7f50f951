/// The lines of one hunk. Each line is kept as a byte range into the diff's text — the hunk holds one
/// reference to that text instead of a string (and a reference count) per line — and is read as a
/// `DiffLine` on access. Reading a 20,000-line diff this way allocates per hunk, not per line.
public struct DiffLines: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral {
    /// A line without its text: where the text sits in `source`, and the line's numbers.
    struct Record: Sendable {
        var kind: DiffLine.Kind
        var noNewlineAtEnd = false
        var endsWithCarriageReturn: Bool
        var textStart: Int
        var textCount: Int
        var oldLine: Int?
        var newLine: Int?

        /// The byte count of the line's code (its text without a CRLF file's `\r`).
        var codeByteCount: Int { textCount - (endsWithCarriageReturn ? 1 : 0) }

        func number(on side: DiffSide) -> Int? { side == .right ? newLine : oldLine }
    }

    /// The text the records point into (for a parsed diff: the whole diff).
    let source: String
    private(set) var records: [Record] = []

    init(source: String, capacity: Int) {
        self.source = source
        records.reserveCapacity(capacity)
    }

    /// Lines made by hand (tests, tools): their texts are laid end to end in a new source.
    public init(_ lines: [DiffLine]) {
        var source = ""
        for line in lines {
            records.append(
                Record(
                    kind: line.kind, noNewlineAtEnd: line.noNewlineAtEnd, endsWithCarriageReturn: line.text.utf8.last == 0x0D,
                    textStart: source.utf8.count, textCount: line.text.utf8.count, oldLine: line.oldLine, newLine: line.newLine
                ))
            source += line.text
        }
        self.source = source
    }

    public init(arrayLiteral lines: DiffLine...) { self.init(lines) }

    public var startIndex: Int { records.startIndex }
    public var endIndex: Int { records.endIndex }

    /// The line at `position`, made from its byte range on access.
    public subscript(position: Int) -> DiffLine {
        let record = records[position]
        return DiffLine(
            kind: record.kind, text: source.slice(utf8: record.textStart..<(record.textStart + record.textCount)),
            oldLine: record.oldLine, newLine: record.newLine, noNewlineAtEnd: record.noNewlineAtEnd
        )
    }

    mutating func append(_ record: Record) { records.append(record) }

    /// The lines shown on `side`, numbered, their text whitespace-normalised straight from the
    /// diff's bytes (the hunk index's quote matching reads every line of a file this way).
    func normalisedLines(on side: DiffSide, into buffer: UnsafeMutableBufferPointer<UInt8>, at written: inout Int) -> [HunkIndex.SideText.Line] {
        var source = self.source
        return source.withUTF8 { bytes in
            var lines: [HunkIndex.SideText.Line] = []
            lines.reserveCapacity(records.count)
            for record in records {
                guard let number = record.number(on: side) else { continue }
                let start = written
                let hash = Finding.normalise(bytes: bytes[record.textStart..<(record.textStart + record.textCount)], into: buffer, at: &written)
                lines.append(HunkIndex.SideText.Line(number: number, start: start, count: written - start, hash: hash))
            }
            return lines
        }
    }

    /// The longest run of backticks in the lines' code, read straight from the diff's bytes.
    public func longestBacktickRun() -> Int {
        var source = self.source
        return source.withUTF8 { bytes in
            var longest = 0
            for record in records {
                var run = 0
                for byte in bytes[record.textStart..<(record.textStart + record.codeByteCount)] {
                    run = byte == UInt8(ascii: "`") ? run + 1 : 0
                    if run > longest { longest = run }
                }
            }
            return longest
        }
    }

    /// Sums `body` over the lines without making them: each line's number as the prompt shows it
    /// (new for added and context lines, old for deleted ones) and its code's byte count.
    func reduceLayout(_ initial: Int, _ body: (_ total: Int, _ number: Int, _ codeBytes: Int) -> Int) -> Int {
        records.reduce(initial) { body($0, ($1.kind == .deleted ? $1.oldLine : $1.newLine) ?? 0, $1.codeByteCount) }
    }

    /// The bytes of the lines shown on `side` (what `normalisedLines` writes at most).
    func byteCount(on side: DiffSide) -> Int {
        records.reduce(0) { $1.number(on: side) == nil ? $0 : $0 + $1.textCount }
    }

    /// Marks the last line as followed by `\ No newline at end of file`.
    mutating func markLastWithoutNewline() {
        if !records.isEmpty { records[records.count - 1].noNewlineAtEnd = true }
    }

    /// The position of the line numbered `line` on `side`, if the hunk shows it there.
    func offset(ofLine line: Int, on side: DiffSide) -> Int? {
        records.firstIndex { $0.number(on: side) == line }
    }

    func count(of kind: DiffLine.Kind) -> Int {
        records.reduce(0) { $1.kind == kind ? $0 + 1 : $0 }
    }

    public static func == (lhs: DiffLines, rhs: DiffLines) -> Bool { lhs.elementsEqual(rhs) }
}

extension String {
    /// The UTF-8 bytes in `range` as a slice of this string (no copy). The range must start and end on
    /// character boundaries — next to ASCII bytes, as every range the diff parser makes does.
    func slice(utf8 range: Range<Int>) -> Substring {
        let start = utf8.index(startIndex, offsetBy: range.lowerBound)
        return self[start..<utf8.index(start, offsetBy: range.count)]
    }
}
