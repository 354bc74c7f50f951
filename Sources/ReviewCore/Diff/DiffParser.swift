import Foundation

/// Parses unified diffs: renames, copies, additions, deletions, binary files, mode changes,
/// `\ No newline at end of file`, CRLF (kept in the text), and context lines whose space was stripped.
/// Never traps on malformed input: what cannot be read as a hunk line ends the hunk.
public enum DiffParser {
    /// Parses a unified diff (`git diff` or GitHub's `.diff`); what cannot be read is skipped, never a crash.
    public static func parse(_ text: String) -> UnifiedDiff {
        LineCursor.withLines(of: text) { lines in
            var files: [DiffFile] = []
            while let line = lines.line {
                lines.advance()
                if lines.hasPrefix(line, "diff --git ") { files.append(parseFile(header: lines.slice(line), lines: &lines)) }
            }
            return UnifiedDiff(files: files)
        }
    }

    /// Hunks only, as in a `patch` field of `/pulls/{n}/files`.
    public static func parseHunks(_ patch: String) -> [DiffHunk] {
        LineCursor.withLines(of: patch) { lines in
            var hunks: [DiffHunk] = []
            while let line = lines.line {
                lines.advance()
                if let hunk = parseHunk(header: line, lines: &lines) { hunks.append(hunk) }
            }
            return hunks
        }
    }

    private static func parseFile(header: Substring, lines: inout LineCursor) -> DiffFile {
        let (headerOld, headerNew) = pathsFromGitHeader(header.dropFirst("diff --git ".count))
        var file = DiffFile(oldPath: headerOld, newPath: headerNew, status: .modified)
        var sawOld = false, sawNew = false
        while let line = lines.line, !lines.hasPrefix(line, "diff --git ") {
            lines.advance()
            if lines.hasPrefix(line, "@@ ") {
                if let hunk = parseHunk(header: line, lines: &lines) { file.hunks.append(hunk) }
            } else if let rest = lines.rest(of: line, after: "--- ") {
                file.oldPath = path(rest, prefix: "a/")
                sawOld = true
            } else if let rest = lines.rest(of: line, after: "+++ ") {
                file.newPath = path(rest, prefix: "b/")
                sawNew = true
            } else if let mode = lines.rest(of: line, after: "new file mode ") {
                file.newMode = String(mode)
                file.status = .added
                file.oldPath = nil
            } else if let mode = lines.rest(of: line, after: "deleted file mode ") {
                file.oldMode = String(mode)
                file.status = .removed
                file.newPath = nil
            } else if let mode = lines.rest(of: line, after: "old mode ") {
                file.oldMode = String(mode)
            } else if let mode = lines.rest(of: line, after: "new mode ") {
                file.newMode = String(mode)
            } else if let from = lines.rest(of: line, after: "rename from ") {
                file.oldPath = unquote(from)
                file.status = .renamed
            } else if let to = lines.rest(of: line, after: "rename to ") {
                file.newPath = unquote(to)
                file.status = .renamed
            } else if let from = lines.rest(of: line, after: "copy from ") {
                file.oldPath = unquote(from)
                file.status = .copied
            } else if let to = lines.rest(of: line, after: "copy to ") {
                file.newPath = unquote(to)
                file.status = .copied
            } else if let similarity = lines.rest(of: line, after: "similarity index ") {
                file.similarity = Int(similarity.dropLast())
            } else if lines.hasPrefix(line, "Binary files ") || lines.slice(line) == "GIT binary patch" {
                let text = lines.slice(line)
                file.isBinary = true
                if text.hasPrefix("Binary files /dev/null and ") { file.status = .added; file.oldPath = nil }
                if text.hasSuffix(" and /dev/null differ") { file.status = .removed; file.newPath = nil }
            }
        }
        if sawOld, file.oldPath == nil, file.status != .added { file.status = .added }
        if sawNew, file.newPath == nil, file.status != .removed { file.status = .removed }
        return file
    }

    /// `@@ -a,b +c,d @@ section` and the lines its counts cover (the hot path: bytes, no copies).
    private static func parseHunk(header: Range<Int>, lines: inout LineCursor) -> DiffHunk? {
        guard let ranges = hunkRanges(header, in: lines) else { return nil }
        let (old, new) = (ranges.old, ranges.new)
        var section = lines.slice(ranges.sectionStart..<header.upperBound)
        if section.hasPrefix(" ") { section.removeFirst() }
        // Counts come from the input: reserve for an honest hunk, never for a claimed billion lines.
        var body = DiffLines(source: lines.text, capacity: min(old.count, 4096) + min(new.count, 4096))
        var oldLine = old.start, newLine = new.start
        var oldLeft = old.count, newLeft = new.count
        reading: while let line = lines.line {
            let marker = lines.first(of: line)
            if marker == UInt8(ascii: "\\") {
                // "\ No newline at end of file" belongs to the line before it.
                body.markLastWithoutNewline()
                lines.advance()
                continue
            }
            guard oldLeft > 0 || newLeft > 0 else { break }
            let kind: DiffLine.Kind
            // An empty context line whose leading space was stripped is empty — or, in a CRLF file,
            // just its carriage return (python-unidiff's sample5.diff): both are context, and the
            // carriage return is the line's text, not a marker.
            let strippedCRLF = marker == 0x0D && line.count == 1
            switch marker {
            case UInt8(ascii: "+") where newLeft > 0: kind = .added
            case UInt8(ascii: "-") where oldLeft > 0: kind = .deleted
            case UInt8(ascii: " ") where oldLeft > 0 && newLeft > 0, nil where oldLeft > 0 && newLeft > 0: kind = .context
            case 0x0D where strippedCRLF && oldLeft > 0 && newLeft > 0: kind = .context
            default: break reading
            }
            let text = strippedCRLF ? line : line.dropFirst()
            body.append(
                DiffLines.Record(
                    kind: kind, endsWithCarriageReturn: lines.last(of: text) == 0x0D, textStart: text.lowerBound, textCount: text.count,
                    oldLine: kind == .added ? nil : oldLine, newLine: kind == .deleted ? nil : newLine
                ))
            if kind != .added { oldLine += 1; oldLeft -= 1 }
            if kind != .deleted { newLine += 1; newLeft -= 1 }
            lines.advance()
        }
        return DiffHunk(oldStart: old.start, oldCount: old.count, newStart: new.start, newCount: new.count, section: String(section), lines: body)
    }

    typealias LineRange = (start: Int, count: Int)

    /// The numbers of `@@ -a[,b] +c[,d] @@`, and where the section text starts.
    private static func hunkRanges(_ header: Range<Int>, in lines: LineCursor) -> (old: LineRange, new: LineRange, sectionStart: Int)? {
        guard lines.hasPrefix(header, "@@ -"), let old = range(at: header.lowerBound + 4, in: lines),
            lines.hasPrefix(old.end..<header.upperBound, " +"), let new = range(at: old.end + 2, in: lines),
            lines.hasPrefix(new.end..<header.upperBound, " @@")
        else { return nil }
        return (old.range, new.range, new.end + 3)
    }

    /// Larger than any file GitHub shows; a hunk claiming to start past it is not a hunk, so the
    /// running line numbers (start + lines read) can never overflow. Counts only ever go down.
    static let maxLineNumber = Int(Int32.max)

    /// `start[,count]` (count 1 when absent).
    private static func range(at position: Int, in lines: LineCursor) -> (range: LineRange, end: Int)? {
        guard let start = lines.number(at: position), start.value <= maxLineNumber else { return nil }
        guard start.end < lines.bytes.count, lines.bytes[start.end] == UInt8(ascii: ",") else { return ((start.value, 1), start.end) }
        guard let count = lines.number(at: start.end + 1) else { return nil }
        return ((start.value, count.value), count.end)
    }

    /// `a/x b/y` (possibly quoted); when both sides are the same unquoted path, the split is exact.
    private static func pathsFromGitHeader(_ text: Substring) -> (String?, String?) {
        if text.utf8.first == UInt8(ascii: "\"") {
            let parts = quotedParts(text)
            if parts.count == 2 { return (strip(parts[0], "a/"), strip(parts[1], "b/")) }
        }
        let bytes = text.utf8
        if bytes.count % 2 == 1 {
            let half = (bytes.count - 1) / 2
            let left = bytes.prefix(half), right = bytes.suffix(half)
            if bytes[left.endIndex] == UInt8(ascii: " "), left.starts(with: "a/".utf8), right.starts(with: "b/".utf8),
                left.dropFirst(2).elementsEqual(right.dropFirst(2))
            {
                return (String(Substring(left.dropFirst(2))), String(Substring(right.dropFirst(2))))
            }
        }
        if let split = text.range(of: " b/") {
            return (strip(String(text[..<split.lowerBound]), "a/"), String(text[split.upperBound...]))
        }
        return (nil, nil)
    }

    private static func path(_ text: Substring, prefix: String) -> String? {
        var value = text
        if value.utf8.first != UInt8(ascii: "\""), let tab = value.utf8.firstIndex(of: UInt8(ascii: "\t")) { value = value[..<tab] }
        if value == "/dev/null" { return nil }
        return strip(unquote(value), prefix)
    }

    private static func strip(_ path: String, _ prefix: String) -> String {
        path.utf8.starts(with: prefix.utf8) ? String(Substring(path.utf8.dropFirst(prefix.utf8.count))) : path
    }

    private static func quotedParts(_ text: Substring) -> [String] {
        var parts: [String] = []
        var rest = text
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " }
            if rest.hasPrefix("\"") {
                var index = rest.index(after: rest.startIndex)
                while index < rest.endIndex, rest[index] != "\"" {
                    if rest[index] == "\\" { index = rest.index(after: index) }
                    if index < rest.endIndex { index = rest.index(after: index) }
                }
                let end = index < rest.endIndex ? rest.index(after: index) : index
                parts.append(unquote(rest[rest.startIndex..<end]))
                rest = rest[end...]
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                parts.append(String(rest[..<end]))
                rest = rest[end...]
            }
        }
        return parts
    }

    /// Git's C-style quoting: `"a/tab\there"`, octal escapes for non-ASCII bytes.
    static func unquote(_ text: Substring) -> String {
        guard text.utf8.count >= 2, text.utf8.first == UInt8(ascii: "\""), text.utf8.last == UInt8(ascii: "\"") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.dropFirst().dropLast().utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\"), let escaped = iterator.next() else { bytes.append(byte); continue }
            switch escaped {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                // Git writes exactly three octal digits; anything else is kept as the bytes it is.
                var value = Int(escaped - UInt8(ascii: "0"))
                var taken: [UInt8] = []
                while taken.count < 2, let digit = iterator.next() {
                    taken.append(digit)
                    guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(digit) else { break }
                    value = value * 8 + Int(digit - UInt8(ascii: "0"))
                }
                if taken.count == 2, taken.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }) {
                    bytes.append(UInt8(truncatingIfNeeded: value))
                } else {
                    bytes += [UInt8(ascii: "\\"), escaped] + taken
                }
            default: bytes.append(escaped)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
