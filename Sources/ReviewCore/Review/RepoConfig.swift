import Foundation

/// A repository's `.github/prreview.yml`, read from the base branch (never from the PR head, so a PR
/// cannot rewrite the rules it is reviewed by).
public struct RepoConfig: Sendable, Equatable {
    /// Where the file lives in the repository.
    public static let path = ".github/prreview.yml"

    /// Review instructions for the files matching a glob.
    public struct PathInstruction: Sendable, Equatable {
        public var glob: String
        public var text: String
    }

    /// Review only paths matching one of these (empty: everything).
    public var include: [String] = []
    public var exclude: [String] = []
    public var instructions: [PathInstruction] = []
    /// Findings below this severity are dropped.
    public var severityFloor: Finding.Severity = .nit
    public var maxComments = ReviewComposer.maxComments
    public var skipDrafts = true
    public var skipLabels: [String] = []
    /// Post and keep up to date the walkthrough comment (`walkthrough: false` turns it off).
    public var walkthrough = true
    /// Which replies in the reviewer's threads are answered: only those mentioning the App, or all.
    public var answerReplies: AnswerReplies = .mentions

    /// Report each review as a check run on its head (`check_run: false` turns it off).
    public var checkRun = true
    /// Head-file lines shown around each hunk (`context_lines`, 0–100).
    public var contextLines = ContextSettings.defaultLines
    /// Small files go to the model whole (`whole_file_context: false` turns it off).
    public var wholeFileContext = true

    /// What the model is shown around each hunk.
    public var context: ContextSettings {
        ContextSettings(lines: contextLines, wholeFileLines: wholeFileContext ? ContextSettings.defaultWholeFileLines : 0)
    }

    /// `answer_replies: mentions | all`.
    public enum AnswerReplies: String, Sendable, Equatable { case mentions, all }

    public init() {}

    /// The settings `prreview.yml` may hold.
    public static let keys = [
        "include", "exclude", "instructions", "severity_floor", "max_comments", "skip_drafts", "skip_labels", "walkthrough", "answer_replies",
        "context_lines", "whole_file_context", "check_run",
    ]

    /// Reads the decoded YAML document. An unknown key (with the known one it is probably a typo
    /// of) or a bad value is reported, and only that setting keeps its default: the others apply.
    public static func from(_ document: JSONValue) -> (RepoConfig, [String]) {
        var config = RepoConfig()
        var problems: [String] = []
        guard case .object(let root) = document else { return (config, ["the file is not a mapping of settings"]) }
        func strings(_ key: String) -> [String] {
            switch root[key] {
            case nil, .null?: return []
            case .string(let one)?: return [one]
            case .array(let items)?:
                let texts = items.compactMap(\.stringValue)
                guard texts.count == items.count else {
                    problems.append("\(key) must be a list of strings")
                    return []
                }
                return texts
            default:
                problems.append("\(key) must be a list of strings")
                return []
            }
        }
        for key in root.keys.sorted() where !keys.contains(key) {
            let shown = key.count > 64 ? String(key.prefix(64)) + "…" : key
            problems.append("unknown setting \(shown)" + (closestKey(to: key).map { " (did you mean \($0)?)" } ?? ""))
        }
        config.include = strings("include")
        config.exclude = strings("exclude")
        config.skipLabels = strings("skip_labels")
        switch root["instructions"] {
        case nil, .null?: break
        case .string(let text)?: config.instructions = [PathInstruction(glob: "**", text: text)]
        case .array(let items)?:
            let read = items.compactMap { item in
                item["path"]?.stringValue.flatMap { path in item["text"]?.stringValue.map { PathInstruction(glob: path, text: $0) } }
            }
            if read.count == items.count { config.instructions = read } else { problems.append("each instructions entry needs path and text") }
        default: problems.append("instructions must be text or a list of {path, text}")
        }
        if let floor = root["severity_floor"] {
            if let value = floor.stringValue.flatMap(Finding.Severity.init(rawValue:)) {
                config.severityFloor = value
            } else {
                problems.append("severity_floor must be one of bug, security, performance, maintainability, nit")
            }
        }
        /// A whole number in `range`, or the problem named.
        func wholeNumber(_ key: String, in range: ClosedRange<Int>, _ set: (Int) -> Void) {
            guard let value = root[key] else { return }
            if case .number(let n) = value, n.rounded() == n, n >= Double(range.lowerBound), n <= Double(range.upperBound) {
                set(Int(n))
            } else {
                problems.append("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
        }
        /// true or false, or the problem named.
        func flag(_ key: String, _ set: (Bool) -> Void) {
            guard let value = root[key] else { return }
            if case .bool(let flag) = value { set(flag) } else { problems.append("\(key) must be true or false") }
        }
        wholeNumber("max_comments", in: 0...30) { config.maxComments = $0 }
        wholeNumber("context_lines", in: 0...100) { config.contextLines = $0 }
        flag("skip_drafts") { config.skipDrafts = $0 }
        flag("walkthrough") { config.walkthrough = $0 }
        flag("check_run") { config.checkRun = $0 }
        flag("whole_file_context") { config.wholeFileContext = $0 }
        if let replies = root["answer_replies"] {
            if let value = replies.stringValue.flatMap(AnswerReplies.init(rawValue:)) {
                config.answerReplies = value
            } else {
                problems.append("answer_replies must be mentions or all")
            }
        }
        return (config, problems)
    }

    /// The known key `key` is most likely a typo of: at most two edits away (and not a short key
    /// rewritten whole). Bounded work on a stranger's text: keys over 40 characters get no guess.
    static func closestKey(to key: String) -> String? {
        let typed = Array(key.lowercased().replacingOccurrences(of: "-", with: "_").utf8)
        guard typed.count <= 40 else { return nil }
        let scored = keys.map { ($0, editDistance(typed, Array($0.utf8))) }.filter { $0.1 <= min(2, $0.0.count / 3) }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance (both sides are at most 40 bytes here).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Whether `path` is in scope.
    public func includes(_ path: String) -> Bool {
        (include.isEmpty || include.contains { Glob.matches($0, path) }) && !exclude.contains { Glob.matches($0, path) }
    }

    /// The instructions that apply to any of `paths`, as one text.
    public func instructions(for paths: [String]) -> String {
        instructions.filter { rule in paths.contains { Glob.matches(rule.glob, $0) } }.map(\.text).joined(separator: "\n")
    }

    /// Keeps findings at or above the severity floor (`bug` is the most severe).
    public func keeps(_ finding: Finding) -> Bool { finding.severity <= severityFloor }
}
