/// What one model call is shown of one file: its hunks in order, the head-file lines around them
/// (for reading only), and — when the budget is tight — deletions shortened to one line each.
public struct PromptFile: Sendable, Equatable {
    /// One piece of the file, in line order.
    public enum Part: Sendable, Equatable {
        /// Lines of the head file around a hunk: context only, never commentable.
        case context([ContextLine])
        case hunk(DiffHunk)
        /// A hunk that only deletes, shown as one line (the budget was tight).
        case removed(DiffHunk)
    }

    /// The file's paths and status; `hunks` holds the hunks shown in full.
    public var file: DiffFile
    public var parts: [Part]
    /// For a deleted file shown as one line (the budget was tight): how many lines it had.
    public var deletedInShort: Int?

    public init(file: DiffFile, parts: [Part], deletedInShort: Int? = nil) {
        self.file = file
        self.parts = parts
        self.deletedInShort = deletedInShort
    }

    /// A file shown as plain hunks, without context.
    public init(_ file: DiffFile) {
        self.init(file: file, parts: file.hunks.map(Part.hunk))
    }

    public var path: String { file.path }

    /// The context lines shown, across the file's parts.
    public var contextLines: [ContextLine] {
        parts.flatMap { part -> [ContextLine] in
            if case .context(let lines) = part { return lines }
            return []
        }
    }
}
