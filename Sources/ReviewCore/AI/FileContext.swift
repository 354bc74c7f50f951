import Foundation

/// The head version of a reviewed file, read so the model sees what surrounds each hunk.
public struct HeadFile: Sendable, Equatable {
    /// The file's lines without their line breaks (a CRLF file's `\r` removed); line N is `lines[N - 1]`.
    public var lines: [Substring]

    /// Splits the file's text on `\n`.
    public init(text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.utf8.last == 0x0D ? Substring($0.utf8.dropLast()) : $0 }
        if lines.last?.isEmpty == true { lines.removeLast() }
    }
}

/// How much of the head file the model is shown around each hunk.
public struct ContextSettings: Sendable, Equatable {
    /// Lines shown before and after each hunk (on top of the diff's own three).
    public var lines: Int
    /// A file of at most this many lines goes whole (0: never).
    public var wholeFileLines: Int
    /// How far above a hunk the enclosing declaration's header is looked for.
    public var headerSearchLines: Int

    public static let defaultLines = 5
    public static let defaultWholeFileLines = 400

    public init(lines: Int = defaultLines, wholeFileLines: Int = defaultWholeFileLines, headerSearchLines: Int = 300) {
        self.lines = lines
        self.wholeFileLines = wholeFileLines
        self.headerSearchLines = headerSearchLines
    }
}

/// One line of the head file shown for reading only: it is not part of the diff and can carry no comment.
public struct ContextLine: Sendable, Equatable {
    public var line: Int
    public var text: Substring
}

/// The head-file lines shown around one file's hunks.
public enum FileContext {
    /// For each hunk, the context lines shown before it (its enclosing declaration's header among
    /// them when that starts above), and for the last hunk also those after it. No context line is a
    /// line of any hunk, and each is shown once.
    public static func around(_ file: DiffFile, head: HeadFile, settings: ContextSettings) -> [(before: [ContextLine], after: [ContextLine])] {
        let count = head.lines.count
        guard !file.hunks.isEmpty, count > 0 else { return file.hunks.map { _ in ([], []) } }
        let prose = isProse(file.path)
        let whole = !prose && sendsWhole(file, lines: count, settings: settings)
        let n = prose ? 0 : max(0, settings.lines)
        var result: [(before: [ContextLine], after: [ContextLine])] = []
        var shownUpTo = 0  // the last head line already shown (in a hunk or as context)
        for (index, hunk) in file.hunks.enumerated() {
            let (first, last) = span(hunk)
            let from = whole ? shownUpTo + 1 : max(shownUpTo + 1, first - n)
            var before: [ContextLine] = []
            let header = prose ? enclosingHeading(above: hunk, head: head, settings: settings) : enclosingHeader(above: hunk, head: head, settings: settings)
            if let header, header > shownUpTo, header < from {
                before.append(ContextLine(line: header, text: head.lines[header - 1]))
            }
            if from <= first - 1 { before += (from...(first - 1)).map { ContextLine(line: $0, text: head.lines[$0 - 1]) } }
            shownUpTo = max(shownUpTo, last)
            var after: [ContextLine] = []
            let next = index + 1 < file.hunks.count ? span(file.hunks[index + 1]).first : count + 1
            let to = min(count, whole && index + 1 == file.hunks.count ? count : last + n, next - 1)
            if !whole || index + 1 == file.hunks.count, shownUpTo + 1 <= to {
                after = (shownUpTo + 1...to).map { ContextLine(line: $0, text: head.lines[$0 - 1]) }
                shownUpTo = to
            }
            result.append((before, after))
        }
        return result
    }

    /// Whether a file goes whole: when it is small (`wholeFileLines`) and what it adds beyond its
    /// hunks is cheap next to the change — at most as many lines as the change adds and deletes, or
    /// as two windows of `lines`. A 350-line file with a 9-line edit gets windows, not 340 lines.
    static func sendsWhole(_ file: DiffFile, lines count: Int, settings: ContextSettings) -> Bool {
        guard settings.wholeFileLines > 0, count <= settings.wholeFileLines else { return false }
        var covered = 0
        var changed = 0
        for hunk in file.hunks {
            covered += hunk.newCount
            changed += hunk.lines.count - hunk.lines.reduce(0) { $0 + ($1.kind == .context ? 1 : 0) }
        }
        return count - covered <= max(changed, 2 * max(0, settings.lines))
    }

    /// Prose (Markdown, reStructuredText, plain text): its hunks are read with their section's
    /// heading, not with windows of the file — paragraphs around an edit seldom explain it.
    public static func isProse(_ path: String) -> Bool {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return false }
        return [".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc"].contains(path[dot...].lowercased())
    }

    /// The Markdown heading (`#` … at a line's start) nearest above the hunk, within `headerSearchLines`.
    static func enclosingHeading(above hunk: DiffHunk, head: HeadFile, settings: ContextSettings) -> Int? {
        var line = min(span(hunk).first, head.lines.count + 1) - 1
        while line >= 1, line >= span(hunk).first - settings.headerSearchLines {
            if head.lines[line - 1].utf8.first == UInt8(ascii: "#") { return line }
            line -= 1
        }
        return nil
    }

    /// The head lines a hunk covers: `first...last` (for a hunk that only deletes, the line before
    /// and after the gap, so its context sits around the deletion).
    static func span(_ hunk: DiffHunk) -> (first: Int, last: Int) {
        hunk.newCount == 0 ? (hunk.newStart + 1, hunk.newStart) : (hunk.newStart, hunk.newStart + hunk.newCount - 1)
    }

    /// The line number of the declaration (function, method, class…) that encloses the hunk and
    /// starts above it: walking up, the first line indented less than everything seen so far that
    /// reads like a declaration. Bounded: at most `headerSearchLines` lines of 400 bytes each.
    public static func enclosingHeader(above hunk: DiffHunk, head: HeadFile, settings: ContextSettings) -> Int? {
        let (first, _) = span(hunk)
        let start = min(first, head.lines.count)
        guard start >= 1 else { return nil }
        // The indentation the hunk's own code starts at (its first non-blank new-side line).
        var reference = Int.max
        for line in hunk.lines where line.kind != .deleted {
            if let width = indentation(line.code) {
                reference = width
                break
            }
        }
        guard reference > 0 else { return nil }
        var line = first - 1
        while line >= 1, line >= first - settings.headerSearchLines {
            let text = head.lines[line - 1]
            if let width = indentation(text), width < reference {
                if looksLikeDeclaration(text) { return line }
                reference = width
                if width == 0 { return nil }
            }
            line -= 1
        }
        return nil
    }

    /// Leading whitespace width (a tab counts 4), or nil for a blank line.
    static func indentation(_ text: Substring) -> Int? {
        var width = 0
        for byte in text.utf8.prefix(400) {
            switch byte {
            case 0x20: width += 1
            case 0x09: width += 4
            case 0x0D: return nil
            default: return width
            }
        }
        return nil
    }

    private static let modifiers: Set<Substring> = [
        "public", "private", "internal", "fileprivate", "open", "static", "final", "override", "async", "export", "default", "pub", "protected",
        "abstract", "mutating", "nonisolated", "package", "declare", "unsafe", "extern", "inline", "virtual", "sealed", "partial", "readonly",
        "convenience", "required", "lazy", "synchronized", "suspend", "inner", "data",
    ]
    /// Keywords that start a declaration; the word after one is its name (`Walkthrough` names edits by it).
    static let declarations: Set<Substring> = [
        "func", "def", "class", "struct", "enum", "protocol", "extension", "actor", "interface", "impl", "fn", "trait", "function", "module",
        "namespace", "object", "init", "deinit", "subscript", "fun", "macro", "union", "type", "record",
    ]
    private static let control: Set<Substring> = [
        "if", "for", "while", "switch", "catch", "else", "do", "try", "return", "guard", "when", "match", "with", "except", "elif", "finally",
        "loop", "unless", "until", "case", "select", "defer", "go", "foreach", "using", "lock", "repeat",
    ]

    /// Whether a line reads like the start of a declaration, in the common languages: a declaration
    /// keyword after any modifiers and attributes, `const f = (…) =>`, or a C-like `name(…) {`.
    /// Reads at most the line's first 400 bytes.
    static func looksLikeDeclaration(_ text: Substring) -> Bool {
        let code = String(decoding: text.utf8.prefix(400), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if code.hasPrefix("//") || code.hasPrefix("/*") || code.hasPrefix("*") || code.hasPrefix("#") || code.hasPrefix("--") { return false }
        let words = code.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == "@") }.prefix(8).filter { !$0.hasPrefix("@") }
        guard let keyword = words.first(where: { !modifiers.contains($0) }) else { return false }
        if declarations.contains(keyword) { return true }
        if control.contains(keyword) { return false }
        if ["const", "let", "var"].contains(keyword) { return code.contains("=>") || code.contains("function") }
        return code.contains("(") && (code.hasSuffix("{") || code.hasSuffix(":"))
    }
}
