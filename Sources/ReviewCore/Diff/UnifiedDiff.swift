/// One line of a hunk with its numbers on each side (context lines have both).
public struct DiffLine: Sendable, Equatable {
    /// A line kept, added or removed.
    public enum Kind: Sendable, Equatable { case context, added, deleted }

    public var kind: Kind
    /// The line's text without its `+`/`-`/` ` prefix and newline; a `\r` of a CRLF file is kept.
    /// A slice of the diff's text: parsing copies no line.
    public var text: Substring
    public var oldLine: Int?
    public var newLine: Int?
    /// Followed by `\ No newline at end of file`.
    public var noNewlineAtEnd = false

    /// The code as a reader sees it: `text` without the `\r` of a CRLF file.
    public var code: Substring { text.utf8.last == 0x0D ? Substring(text.utf8.dropLast()) : text }

    public init(kind: Kind, text: Substring, oldLine: Int?, newLine: Int?, noNewlineAtEnd: Bool = false) {
        self.kind = kind
        self.text = text
        self.oldLine = oldLine
        self.newLine = newLine
        self.noNewlineAtEnd = noNewlineAtEnd
    }
}

/// One `@@` hunk: where it starts and how many lines it spans on each side, and its lines.
public struct DiffHunk: Sendable, Equatable {
    public var oldStart: Int
    public var oldCount: Int
    public var newStart: Int
    public var newCount: Int
    /// The text after the second `@@` (usually the enclosing function).
    public var section: String
    public var lines: DiffLines

    public init(oldStart: Int, oldCount: Int, newStart: Int, newCount: Int, section: String, lines: DiffLines) {
        self.oldStart = oldStart
        self.oldCount = oldCount
        self.newStart = newStart
        self.newCount = newCount
        self.section = section
        self.lines = lines
    }
}

/// One file of a diff: its paths, what happened to it, and its hunks.
public struct DiffFile: Sendable, Equatable {
    /// What the change did to the file, in GitHub's words.
    public enum Status: String, Sendable, Equatable, Codable { case added, removed, modified, renamed, copied }

    /// nil for an added file.
    public var oldPath: String?
    /// nil for a deleted file.
    public var newPath: String?
    public var status: Status
    public var isBinary = false
    public var oldMode: String?
    public var newMode: String?
    public var similarity: Int?
    public var hunks: [DiffHunk] = []

    public init(oldPath: String?, newPath: String?, status: Status, isBinary: Bool = false, hunks: [DiffHunk] = []) {
        self.oldPath = oldPath
        self.newPath = newPath
        self.status = status
        self.isBinary = isBinary
        self.hunks = hunks
    }

    /// The path a review comment names: the new path, or the old one for a deleted file.
    public var path: String { newPath ?? oldPath ?? "" }
    public var additions: Int { count(.added) }
    public var deletions: Int { count(.deleted) }

    private func count(_ kind: DiffLine.Kind) -> Int {
        hunks.reduce(0) { $0 + $1.lines.count(of: kind) }
    }
}

/// A parsed `git diff` as GitHub serves it (`application/vnd.github.diff`) — or rebuilt from the
/// `patch` fields of `/pulls/{n}/files` when the diff is too large.
public struct UnifiedDiff: Sendable, Equatable {
    public var files: [DiffFile]

    public init(files: [DiffFile]) { self.files = files }

    /// The file with this (new, else old) path.
    public func file(_ path: String) -> DiffFile? {
        files.first { $0.newPath == path } ?? files.first { $0.oldPath == path }
    }
}

/// GitHub's side of a diff: `RIGHT` is the new file (added and context lines), `LEFT` the old one
/// (deleted and context lines).
public enum DiffSide: String, Sendable, Equatable, Codable {
    case left = "LEFT"
    case right = "RIGHT"

    public var other: DiffSide { self == .left ? .right : .left }
}
