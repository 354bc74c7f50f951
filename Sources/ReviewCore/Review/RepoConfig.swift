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
    public enum AnswerReplies: String, Sendable, Equatable, CaseIterable { case mentions, all }

    public init() {}

    /// One setting `prreview.yml` may hold: its key, and how its value is read into the config
    /// (nil, or the problem with it — the setting then keeps its default).
    struct Setting: Sendable {
        let key: String
        let read: @Sendable (JSONValue, inout RepoConfig) -> String?

        /// A list of strings (one string is a list of one).
        static func strings(_ key: String, _ set: @escaping @Sendable (inout RepoConfig, [String]) -> Void) -> Setting {
            Setting(key: key) { value, config in
                switch value {
                case .null: return nil
                case .string(let one): set(&config, [one])
                case .array(let items):
                    let texts = items.compactMap(\.stringValue)
                    guard texts.count == items.count else { return "\(key) must be a list of strings" }
                    set(&config, texts)
                default: return "\(key) must be a list of strings"
                }
                return nil
            }
        }

        /// A whole number in `range`.
        static func wholeNumber(_ key: String, in range: ClosedRange<Int>, _ set: @escaping @Sendable (inout RepoConfig, Int) -> Void) -> Setting {
            Setting(key: key) { value, config in
                guard case .number(let n) = value, n.rounded() == n, n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
                    return "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
                }
                set(&config, Int(n))
                return nil
            }
        }

        /// true or false.
        static func flag(_ key: String, _ set: @escaping @Sendable (inout RepoConfig, Bool) -> Void) -> Setting {
            Setting(key: key) { value, config in
                guard case .bool(let flag) = value else { return "\(key) must be true or false" }
                set(&config, flag)
                return nil
            }
        }

        /// One of an enumeration's raw values.
        static func choice<Value: RawRepresentable & CaseIterable>(
            _ key: String, _ set: @escaping @Sendable (inout RepoConfig, Value) -> Void
        ) -> Setting where Value.RawValue == String {
            Setting(key: key) { value, config in
                guard let chosen = value.stringValue.flatMap(Value.init(rawValue:)) else {
                    let names = Value.allCases.map(\.rawValue)
                    return "\(key) must be " + (names.count == 2 ? names.joined(separator: " or ") : "one of " + names.joined(separator: ", "))
                }
                set(&config, chosen)
                return nil
            }
        }
    }

    /// Every setting, in the order their problems are reported: a new setting is a property above
    /// and one line here.
    static let settings: [Setting] = [
        .strings("include") { $0.include = $1 },
        .strings("exclude") { $0.exclude = $1 },
        .strings("skip_labels") { $0.skipLabels = $1 },
        Setting(key: "instructions") { value, config in
            switch value {
            case .null: return nil
            case .string(let text): config.instructions = [PathInstruction(glob: "**", text: text)]
            case .array(let items):
                let read = items.compactMap { item in
                    item["path"]?.stringValue.flatMap { path in item["text"]?.stringValue.map { PathInstruction(glob: path, text: $0) } }
                }
                guard read.count == items.count else { return "each instructions entry needs path and text" }
                config.instructions = read
            default: return "instructions must be text or a list of {path, text}"
            }
            return nil
        },
        .choice("severity_floor") { (config, floor: Finding.Severity) in config.severityFloor = floor },
        .wholeNumber("max_comments", in: 0...30) { $0.maxComments = $1 },
        .wholeNumber("context_lines", in: 0...100) { $0.contextLines = $1 },
        .flag("skip_drafts") { $0.skipDrafts = $1 },
        .flag("walkthrough") { $0.walkthrough = $1 },
        .flag("check_run") { $0.checkRun = $1 },
        .flag("whole_file_context") { $0.wholeFileContext = $1 },
        .choice("answer_replies") { (config, replies: AnswerReplies) in config.answerReplies = replies },
    ]

    /// The settings `prreview.yml` may hold.
    public static let keys = settings.map(\.key)

    /// Reads the decoded YAML document. An unknown key (with the known one it is probably a typo
    /// of) or a bad value is reported, and only that setting keeps its default: the others apply.
    public static func from(_ document: JSONValue) -> (RepoConfig, [String]) {
        var config = RepoConfig()
        guard case .object(let root) = document else { return (config, ["the file is not a mapping of settings"]) }
        var problems: [String] = root.keys.sorted().filter { !keys.contains($0) }.map { key in
            let shown = key.count > 64 ? String(key.prefix(64)) + "…" : key
            return "unknown setting \(shown)" + (closestKey(to: key).map { " (did you mean \($0)?)" } ?? "")
        }
        for setting in settings {
            guard let value = root[setting.key], let problem = setting.read(value, &config) else { continue }
            problems.append(problem)
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
