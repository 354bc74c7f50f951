#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks a text line by line over its UTF-8 bytes (LF only: Swift treats CRLF as one character, and
/// a `\r` must stay in the line). Lines are byte ranges; `slice` turns one into a `Substring` that
/// shares the text's storage, so reading a diff allocates nothing per line.
struct LineCursor {
    let text: String
    let bytes: UnsafeBufferPointer<UInt8>
    /// The line under the cursor, without its LF; nil at the end.
    private(set) var line: Range<Int>?

    /// Runs `body` with a cursor on the first line of `text`.
    static func withLines<Result>(of text: String, _ body: (inout LineCursor) -> Result) -> Result {
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { bytes in
            var cursor = LineCursor(text: text, bytes: bytes)
            return body(&cursor)
        }!
    }

    private init(text: String, bytes: UnsafeBufferPointer<UInt8>) {
        self.text = text
        self.bytes = bytes
        line = lineStarting(at: 0)
    }

    mutating func advance() {
        guard let current = line else { return }
        line = lineStarting(at: current.upperBound + 1)
    }

    private func lineStarting(at start: Int) -> Range<Int>? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let newline = memchr(base + start, 0x0A, bytes.count - start) else { return start..<bytes.count }
        return start..<(base.distance(to: newline.assumingMemoryBound(to: UInt8.self)))
    }

    func first(of range: Range<Int>) -> UInt8? { range.isEmpty ? nil : bytes[range.lowerBound] }

    func last(of range: Range<Int>) -> UInt8? { range.isEmpty ? nil : bytes[range.upperBound - 1] }

    func hasPrefix(_ range: Range<Int>, _ prefix: StaticString) -> Bool {
        guard range.count >= prefix.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress! + range.lowerBound, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
    }

    /// The rest of the line after `prefix`, or nil when the line does not start with it.
    func rest(of range: Range<Int>, after prefix: StaticString) -> Substring? {
        hasPrefix(range, prefix) ? slice(range.dropFirst(prefix.utf8CodeUnitCount)) : nil
    }

    /// The bytes in `range` as a slice of the text (no copy). Ranges start and end next to ASCII
    /// bytes (line starts, LFs, one-byte markers), so they are always on character boundaries.
    func slice(_ range: Range<Int>) -> Substring { text.slice(utf8: range) }

    /// A decimal number starting at `position`, and the position after it; nil without digits or on overflow.
    func number(at position: Int) -> (value: Int, end: Int)? {
        var value = 0
        var index = position
        while index < bytes.count, case let digit = bytes[index] &- 0x30, digit < 10 {
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return index > position ? (value, index) : nil
    }
}
