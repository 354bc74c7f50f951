import Foundation

/// The one walkthrough comment of a pull request: a short summary of the change, a table of the
/// changed files with one line each, and what was not reviewed. Edited in place on later pushes
/// (found by its marker on a comment this App wrote), never posted twice.
public enum Walkthrough {
    /// Rows shown at most; the rest are counted.
    public static let maxRows = 300

    /// - Parameters:
    ///   - diff: the whole pull request's diff.
    ///   - summary: the model's summary of the change (untrusted), nil with the rules reviewer.
    ///   - fileSummaries: the model's one line per path (untrusted); files without one get a line from the diff.
    public static func body(
        diff: UnifiedDiff, summary: String?, fileSummaries: [String: String], notReviewed: [ReviewScope.Skipped], headSha: String
    ) -> String {
        let additions = diff.files.reduce(0) { $0 + $1.additions }, deletions = diff.files.reduce(0) { $0 + $1.deletions }
        var text = "## Walkthrough\n\n"
        if let summary, !summary.isEmpty { text += MarkdownText.plain(summary, keepingLines: true) + "\n\n" }
        text += "\(diff.files.count) file\(diff.files.count == 1 ? "" : "s") changed, +\(additions) −\(deletions).\n\n"
        text += "| file | change | what changed |\n|---|---|---|\n"
        let skipped = Dictionary(notReviewed.map { ($0.path, $0.reason) }, uniquingKeysWith: { first, _ in first })
        for file in diff.files.prefix(maxRows) {
            let line =
                fileSummaries[file.path].map { MarkdownText.plain($0) }
                ?? skipped[file.path].map { "not reviewed: " + MarkdownText.plain($0) } ?? describe(file)
            text += "| \(cell(MarkdownText.code(file.path))) | \(change(file)) | \(cell(line)) |\n"
        }
        if diff.files.count > maxRows { text += "\n_\(diff.files.count - maxRows) more files not listed._\n" }
        if !notReviewed.isEmpty {
            text +=
                "\n### Not reviewed\n\n" + notReviewed.map { "- \(MarkdownText.code($0.path)) — \(MarkdownText.plain($0.reason))" }.joined(separator: "\n")
                + "\n"
        }
        // The marker must survive any cut: without it the next push would post a second walkthrough.
        let footer = "\n<sub>Updated for \(headSha.prefix(12)).</sub>\n" + ReviewMarker.walkthrough(head: headSha)
        let room = ReviewComposer.maxBodyCharacters - footer.count - 64
        if text.count > room {
            let kept = text.prefix(room)
            text = String(kept.lastIndex(of: "\n").map { kept[..<$0] } ?? kept) + "\n\n_… cut to fit GitHub's limit._\n"
        }
        return text + footer
    }

    /// `+a −d`, and what happened to the file when it is more than an edit.
    static func change(_ file: DiffFile) -> String {
        let counts = "+\(file.additions) −\(file.deletions)"
        switch file.status {
        case .added: return "added, " + counts
        case .removed: return "deleted, " + counts
        case .renamed, .copied: return "\(file.status.rawValue), " + counts
        case .modified: return file.isBinary ? "binary" : counts
        }
    }

    /// A line from the diff alone (the rules reviewer's walkthrough).
    static func describe(_ file: DiffFile) -> String {
        if file.isBinary { return "binary file \(file.status == .added ? "added" : file.status == .removed ? "deleted" : "changed")" }
        if let old = file.oldPath, file.status == .renamed || file.status == .copied {
            let verb = file.status == .renamed ? "renamed" : "copied"
            return "\(verb) from \(MarkdownText.code(old))" + (file.hunks.isEmpty ? ", content unchanged" : " with edits")
        }
        if file.hunks.isEmpty { return file.oldMode != file.newMode ? "mode changed" : "no line changes" }
        if file.status == .added { return "new file" }
        if file.status == .removed { return "file deleted" }
        // The declarations git named in the hunk headers, by name: a phrase, not the cut-off header
        // lines (which in data files are any line at all — a hash in go.sum).
        var names: [String] = []
        for hunk in file.hunks {
            if let name = declarationName(hunk.section[...]), !names.contains(name) { names.append(name) }
        }
        let places = file.hunks.count
        guard !names.isEmpty else { return places == 1 ? "one edit" : "edits in \(places) places" }
        let shown = names.prefix(3).map { MarkdownText.code($0) }
        let listed = shown.count == 1 ? shown[0] : shown.dropLast().joined(separator: ", ") + " and " + shown.last!
        let elsewhere = places - min(names.count, 3)
        return "edits in " + listed + (elsewhere > 0 ? " and \(elsewhere) other place\(elsewhere == 1 ? "" : "s")" : "")
    }

    /// The name a hunk header's declaration gives (`fetchJson` from `export async function
    /// fetchJson(url) {`, `Retry` from `struct Retry {`), or nil when the header is not one.
    public static func declarationName(_ section: Substring) -> String? {
        guard FileContext.looksLikeDeclaration(section) else { return nil }
        let code = section.utf8.prefix(400)
        let head = String(
            decoding: code.prefix {
                $0 != UInt8(ascii: "(") && $0 != UInt8(ascii: "{") && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ":")
            }, as: UTF8.self)
        let words = head.split { !($0.isLetter || $0.isNumber || $0 == "_") }
        // `class Foo extends Bar`: the word after the keyword; `int parse_line(`: the last one.
        let keyword = words.firstIndex { FileContext.declarations.contains($0) }
        let name = keyword.flatMap { words.index(after: $0) < words.endIndex ? words[words.index(after: $0)] : nil } ?? words.last
        guard let name, name.count <= 60 else { return nil }
        return String(name)
    }

    /// Table cells cannot hold a raw `|`.
    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
