import Foundation

/// Parses unified diffs: renames, copies, additions, deletions, binary files, mode changes,
/// `\ No newline at end of file`, CRLF (kept in the text), and context lines whose space was stripped.
/// Never traps on malformed input: what cannot be read as a hunk line ends the hunk.
public enum DiffParser {
    public static func parse(_ text: String) -> UnifiedDiff {
        var files: [DiffFile] = []
        var lines = splitLines(text)[...]
        while let line = lines.first {
            guard line.hasPrefix("diff --git ") else {
                lines = lines.dropFirst()
                continue
            }
            lines = lines.dropFirst()
            files.append(parseFile(header: line, lines: &lines))
        }
        return UnifiedDiff(files: files)
    }

    /// Hunks only, as in a `patch` field of `/pulls/{n}/files`.
    public static func parseHunks(_ patch: String) -> [DiffHunk] {
        var lines = splitLines(patch)[...]
        var hunks: [DiffHunk] = []
        while let line = lines.first {
            lines = lines.dropFirst()
            if let hunk = parseHunk(header: line, lines: &lines) { hunks.append(hunk) }
        }
        return hunks
    }

    /// Splits on LF bytes only: Swift treats CRLF as one character, and the `\r` must stay in the text.
    static func splitLines(_ text: String) -> [Substring] {
        var lines: [Substring] = []
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex {
            if bytes[index] == UInt8(ascii: "\n") {
                lines.append(text[start..<index])
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        if start < bytes.endIndex { lines.append(text[start...]) }
        return lines
    }

    private static func parseFile(header: Substring, lines: inout ArraySlice<Substring>) -> DiffFile {
        let (headerOld, headerNew) = pathsFromGitHeader(header.dropFirst("diff --git ".count))
        var file = DiffFile(oldPath: headerOld, newPath: headerNew, status: .modified)
        var sawOld = false, sawNew = false
        while let line = lines.first, !line.hasPrefix("diff --git ") {
            lines = lines.dropFirst()
            if line.hasPrefix("@@ ") {
                if let hunk = parseHunk(header: line, lines: &lines) { file.hunks.append(hunk) }
            } else if line.hasPrefix("--- ") {
                file.oldPath = path(line.dropFirst(4), prefix: "a/")
                sawOld = true
            } else if line.hasPrefix("+++ ") {
                file.newPath = path(line.dropFirst(4), prefix: "b/")
                sawNew = true
            } else if line.hasPrefix("new file mode ") {
                file.newMode = String(line.dropFirst("new file mode ".count))
                file.status = .added
                file.oldPath = nil
            } else if line.hasPrefix("deleted file mode ") {
                file.oldMode = String(line.dropFirst("deleted file mode ".count))
                file.status = .removed
                file.newPath = nil
            } else if line.hasPrefix("old mode ") {
                file.oldMode = String(line.dropFirst("old mode ".count))
            } else if line.hasPrefix("new mode ") {
                file.newMode = String(line.dropFirst("new mode ".count))
            } else if line.hasPrefix("rename from ") {
                file.oldPath = unquote(line.dropFirst("rename from ".count))
                file.status = .renamed
            } else if line.hasPrefix("rename to ") {
                file.newPath = unquote(line.dropFirst("rename to ".count))
                file.status = .renamed
            } else if line.hasPrefix("copy from ") {
                file.oldPath = unquote(line.dropFirst("copy from ".count))
                file.status = .copied
            } else if line.hasPrefix("copy to ") {
                file.newPath = unquote(line.dropFirst("copy to ".count))
                file.status = .copied
            } else if line.hasPrefix("similarity index ") {
                file.similarity = Int(line.dropFirst("similarity index ".count).dropLast())
            } else if line.hasPrefix("Binary files ") || line == "GIT binary patch" {
                file.isBinary = true
                if line.hasPrefix("Binary files /dev/null and ") { file.status = .added; file.oldPath = nil }
                if line.hasSuffix(" and /dev/null differ") { file.status = .removed; file.newPath = nil }
            }
        }
        if sawOld, file.oldPath == nil, file.status != .added { file.status = .added }
        if sawNew, file.newPath == nil, file.status != .removed { file.status = .removed }
        return file
    }

    /// `@@ -a,b +c,d @@ section` and the lines its counts cover.
    private static func parseHunk(header: Substring, lines: inout ArraySlice<Substring>) -> DiffHunk? {
        guard header.hasPrefix("@@ -"), let close = header.dropFirst(3).range(of: " @@") else { return nil }
        let ranges = header[header.index(header.startIndex, offsetBy: 3)..<close.lowerBound].split(separator: " ")
        guard ranges.count == 2, ranges[0].hasPrefix("-"), ranges[1].hasPrefix("+"),
              let old = range(ranges[0].dropFirst()), let new = range(ranges[1].dropFirst())
        else { return nil }
        var section = String(header[close.upperBound...])
        if section.hasPrefix(" ") { section.removeFirst() }
        var hunk = DiffHunk(oldStart: old.start, oldCount: old.count, newStart: new.start, newCount: new.count, section: section, lines: [])
        var oldLine = old.start, newLine = new.start
        var oldLeft = old.count, newLeft = new.count
        while let line = lines.first {
            if line.utf8.first == UInt8(ascii: "\\") {
                // "\ No newline at end of file" belongs to the line before it.
                if !hunk.lines.isEmpty { hunk.lines[hunk.lines.count - 1].noNewlineAtEnd = true }
                lines = lines.dropFirst()
                continue
            }
            guard oldLeft > 0 || newLeft > 0 else { break }
            let text = String(Substring(line.utf8.dropFirst()))
            switch line.utf8.first.map({ Character(UnicodeScalar($0)) }) {
            case "+" where newLeft > 0:
                hunk.lines.append(DiffLine(kind: .added, text: text, oldLine: nil, newLine: newLine))
                newLine += 1; newLeft -= 1
            case "-" where oldLeft > 0:
                hunk.lines.append(DiffLine(kind: .deleted, text: text, oldLine: oldLine, newLine: nil))
                oldLine += 1; oldLeft -= 1
            case " " where oldLeft > 0 && newLeft > 0, nil where oldLeft > 0 && newLeft > 0:
                hunk.lines.append(DiffLine(kind: .context, text: text, oldLine: oldLine, newLine: newLine))
                oldLine += 1; newLine += 1; oldLeft -= 1; newLeft -= 1
            default:
                return hunk
            }
            lines = lines.dropFirst()
        }
        return hunk
    }

    private static func range(_ text: Substring) -> (start: Int, count: Int)? {
        let parts = text.split(separator: ",", maxSplits: 1)
        guard let start = Int(parts[0]), start >= 0 else { return nil }
        guard parts.count == 2 else { return (start, 1) }
        guard let count = Int(parts[1]), count >= 0 else { return nil }
        return (start, count)
    }

    /// `a/x b/y` (possibly quoted); when both sides are the same unquoted path, the split is exact.
    private static func pathsFromGitHeader(_ text: Substring) -> (String?, String?) {
        if text.hasPrefix("\"") {
            let parts = quotedParts(text)
            if parts.count == 2 { return (strip(parts[0], "a/"), strip(parts[1], "b/")) }
        }
        let length = text.count
        if length % 2 == 1 {
            let half = (length - 1) / 2
            let left = text.prefix(half), right = text.suffix(half)
            if left.hasPrefix("a/"), right.hasPrefix("b/"), left.dropFirst(2) == right.dropFirst(2) {
                return (String(left.dropFirst(2)), String(right.dropFirst(2)))
            }
        }
        if let split = text.range(of: " b/") {
            return (strip(String(text[..<split.lowerBound]), "a/"), String(text[split.upperBound...]))
        }
        return (nil, nil)
    }

    private static func path(_ text: Substring, prefix: String) -> String? {
        var value = text
        if !value.hasPrefix("\""), let tab = value.firstIndex(of: "\t") { value = value[..<tab] }
        if value == "/dev/null" { return nil }
        return strip(unquote(value), prefix)
    }

    private static func strip(_ path: String, _ prefix: String) -> String {
        path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
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
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.dropFirst().dropLast().utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\"), let escaped = iterator.next() else { bytes.append(byte); continue }
            switch escaped {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escaped - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard let digit = iterator.next() else { break }
                    value = value * 8 + Int(digit - UInt8(ascii: "0"))
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            default: bytes.append(escaped)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
