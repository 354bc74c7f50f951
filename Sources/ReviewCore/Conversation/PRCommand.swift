import Foundation

/// What a pull-request comment asks of the reviewer: `@<app-slug> review`, `/review`, and so on.
public enum PRCommand: Codable, Sendable, Equatable {
    /// Review what changed since the reviewer's last reviewed commit (the whole PR if none).
    case review
    /// Review the whole pull request again; findings already posted inline are not posted again.
    case fullReview
    /// Stop automatic reviews on this pull request.
    case pause
    /// Start automatic reviews on this pull request again.
    case resume
    /// Answer a question about the pull request.
    case ask(question: String)
    /// List the commands.
    case help
    /// A word after the mention that is no command (it is answered with the list).
    case unknown(word: String)

    /// Every command with its one-line explanation, in the order `help` lists them.
    public static let table: [(usage: String, explanation: String)] = [
        ("review", "review what changed since my last review (the whole pull request if I have not reviewed it)"),
        ("full review", "review the whole pull request again (comments already posted are not repeated)"),
        ("pause", "stop automatic reviews on this pull request"),
        ("resume", "start automatic reviews on this pull request again"),
        ("ask <question>", "answer a question about this pull request"),
        ("help", "show this list"),
        ("ignore", "in the pull request's description: never review it automatically"),
    ]
}

/// Reads commands out of comment text. A command is a line that starts with the App's mention
/// (`@slug`, any case) or with `/` followed by a command word; the first such line counts. Work is
/// linear in the text and bounded: only the first 64 KiB and 200 lines are read, a question is cut
/// at 2,000 characters.
public enum CommandParser {
    static let maxBytes = 65_536
    static let maxLines = 200
    static let maxQuestion = 2_000
    static let slashWords: Set<String> = ["review", "full", "pause", "resume", "ask", "help"]

    /// The command in `text`, or nil when it addresses nobody. `slug` nil: only `/` commands count.
    public static func parse(_ text: String, slug: String?) -> PRCommand? {
        let bounded = self.bounded(text)
        for line in lines(bounded) {
            guard let rest = addressed(line, slug: slug) else { continue }
            let parsed = command(rest.line)
            // A question goes on past its line: the rest of the comment is part of it.
            if case .ask(let question) = parsed {
                let more = bounded[line.endIndex...].trimmingCharacters(in: .whitespacesAndNewlines)
                return .ask(question: String((more.isEmpty ? question : question + "\n" + more).prefix(maxQuestion)))
            }
            return parsed
        }
        return nil
    }

    /// Whether a pull request's description says never to review it automatically
    /// (`@slug ignore` or `/ignore` on a line of its own).
    public static func saysIgnore(_ description: String, slug: String?) -> Bool {
        lines(bounded(description)).contains { line in
            guard let rest = addressed(line, slug: slug, allowing: ["ignore"]) else { return false }
            return rest.line.lowercased().trimmingCharacters(in: .whitespaces) == "ignore"
        }
    }

    /// Whether `text` mentions the App anywhere (`@slug` not followed by a name character).
    public static func mentions(_ text: String, slug: String?) -> Bool {
        guard let slug, !slug.isEmpty else { return false }
        let needle = Array(("@" + slug).lowercased().utf8)
        let bytes = Array(text.utf8.prefix(maxBytes)).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        guard bytes.count >= needle.count else { return false }
        var start = 0
        while start + needle.count <= bytes.count {
            if bytes[start] == needle[0], bytes[start..<(start + needle.count)].elementsEqual(needle) {
                let after = start + needle.count
                if after == bytes.count || !isNameByte(bytes[after]) { return true }
            }
            start += 1
        }
        return false
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "[")
    }

    private static func bounded(_ text: String) -> String {
        text.utf8.count > maxBytes ? String(decoding: text.utf8.prefix(maxBytes), as: UTF8.self) : text
    }

    private static func lines(_ text: String) -> [Substring] {
        Array(text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline).prefix(maxLines))
    }

    /// The rest of `line` after the mention or the slash, when the line addresses the App.
    private static func addressed(_ line: Substring, slug: String?, allowing extra: Set<String> = []) -> (line: Substring, slash: Bool)? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        if trimmed.hasPrefix("/") {
            let word = trimmed.dropFirst().prefix { $0.isLetter }.lowercased()
            guard slashWords.contains(word) || extra.contains(word) else { return nil }
            return (trimmed.dropFirst(), true)
        }
        guard let slug, !slug.isEmpty, trimmed.hasPrefix("@") else { return nil }
        let name = trimmed.dropFirst().prefix { !$0.isWhitespace && $0 != "," && $0 != ":" }
        guard name.lowercased() == slug.lowercased() || name.lowercased() == slug.lowercased() + "[bot]" else { return nil }
        return (trimmed.dropFirst(1 + name.count).drop { $0 == "," || $0 == ":" || $0.isWhitespace }, false)
    }

    private static func command(_ rest: Substring) -> PRCommand {
        let words = rest.split(whereSeparator: \.isWhitespace)
        let first = words.first.map { $0.lowercased() } ?? ""
        switch first {
        case "review": return .review
        case "full" where words.count > 1 && words[1].lowercased() == "review": return .fullReview
        case "pause": return .pause
        case "resume": return .resume
        case "help", "": return .help
        case "ask":
            let question = rest.drop { $0.isWhitespace }.dropFirst(3).trimmingCharacters(in: .whitespaces)
            return question.isEmpty ? .help : .ask(question: String(question.prefix(maxQuestion)))
        default: return .unknown(word: String(first.prefix(40)))
        }
    }
}
