import Foundation

/// A repository's `.github/prreview.yml`, read from the base branch (never from the PR head, so a PR
/// cannot rewrite the rules it is reviewed by).
public struct RepoConfig: Sendable, Equatable {
    /// Where the file lives in the repository.
    public static let path = ".github/prreview.yml"

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

    public init() {}

    /// Reads the decoded YAML document; unknown keys and bad values are reported and defaults kept.
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
                if texts.count != items.count { problems.append("\(key) must be a list of strings") }
                return texts
            default:
                problems.append("\(key) must be a list of strings")
                return []
            }
        }
        for key in root.keys where !["include", "exclude", "instructions", "severity_floor", "max_comments", "skip_drafts", "skip_labels"].contains(key) {
            problems.append("unknown setting \(key)")
        }
        config.include = strings("include")
        config.exclude = strings("exclude")
        config.skipLabels = strings("skip_labels")
        switch root["instructions"] {
        case nil, .null?: break
        case .string(let text)?: config.instructions = [PathInstruction(glob: "**", text: text)]
        case .array(let items)?:
            for item in items {
                if let path = item["path"]?.stringValue, let text = item["text"]?.stringValue {
                    config.instructions.append(PathInstruction(glob: path, text: text))
                } else {
                    problems.append("each instructions entry needs path and text")
                }
            }
        default: problems.append("instructions must be text or a list of {path, text}")
        }
        if let floor = root["severity_floor"] {
            if let value = floor.stringValue.flatMap(Finding.Severity.init(rawValue:)) { config.severityFloor = value } else {
                problems.append("severity_floor must be one of bug, security, performance, maintainability, nit")
            }
        }
        if let max = root["max_comments"] {
            if case .number(let n) = max, n >= 0, n <= 30, n.rounded() == n { config.maxComments = Int(n) } else {
                problems.append("max_comments must be a whole number from 0 to 30")
            }
        }
        if let drafts = root["skip_drafts"] {
            if case .bool(let flag) = drafts { config.skipDrafts = flag } else { problems.append("skip_drafts must be true or false") }
        }
        return problems.isEmpty ? (config, []) : (RepoConfig(), problems)
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

/// Path globs: `*` within a segment, `**` across segments (`**/` is zero or more whole
/// directories), `?` one character. Matched by walking the path once while tracking every pattern
/// position still alive (a Thompson-style simulation), so time is at most pattern × path and never
/// exponential, whatever stars a config file holds.
public enum Glob {
    enum Token: Equatable {
        case byte(UInt8)
        /// `?`: any byte but `/`.
        case one
        /// `*`: any run of bytes without `/`.
        case star
        /// `**`: nothing, or any run of bytes that ends with `/` or at the path's end.
        case globstar
    }

    public static func matches(_ pattern: String, _ path: String) -> Bool {
        let tokens = compile(pattern)
        let slash = UInt8(ascii: "/")
        // alive[i]: the pattern can continue at token i; inside[i]: token i (a globstar) is consuming.
        var alive = [Bool](repeating: false, count: tokens.count + 1)
        var inside = [Bool](repeating: false, count: tokens.count)
        func enter(_ start: Int, _ alive: inout [Bool], _ inside: inout [Bool]) {
            var position = start
            while position <= tokens.count, !alive[position] {
                alive[position] = true
                guard position < tokens.count else { return }
                switch tokens[position] {
                case .star: position += 1  // a star may match nothing
                case .globstar:
                    inside[position] = true
                    position += 1
                default: return
                }
            }
        }
        enter(0, &alive, &inside)
        for byte in path.utf8 {
            var nextAlive = [Bool](repeating: false, count: tokens.count + 1)
            var nextInside = [Bool](repeating: false, count: tokens.count)
            for position in 0..<tokens.count {
                if inside[position] {
                    nextInside[position] = true
                    if byte == slash { enter(position + 1, &nextAlive, &nextInside) }
                }
                guard alive[position] else { continue }
                switch tokens[position] {
                case .byte(let wanted) where wanted == byte: enter(position + 1, &nextAlive, &nextInside)
                case .one where byte != slash: enter(position + 1, &nextAlive, &nextInside)
                case .star where byte != slash:
                    enter(position, &nextAlive, &nextInside)
                default: break
                }
            }
            alive = nextAlive
            inside = nextInside
            if !alive.contains(true) && !inside.contains(true) { return false }
        }
        if alive[tokens.count] { return true }
        // A globstar still consuming may take the rest of the path, if what follows can match nothing.
        return inside.indices.contains { inside[$0] && nullable(tokens[($0 + 1)...]) }
    }

    static func compile(_ pattern: String) -> [Token] {
        let bytes = Array(pattern.utf8)
        var tokens: [Token] = []
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "*"):
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                    index += 2
                    if index < bytes.count, bytes[index] == UInt8(ascii: "/") { index += 1 }
                    if tokens.last != .globstar { tokens.append(.globstar) }
                    continue
                }
                if tokens.last != .star { tokens.append(.star) }
            case UInt8(ascii: "?"): tokens.append(.one)
            case let byte: tokens.append(.byte(byte))
            }
            index += 1
        }
        return tokens
    }

    private static func nullable(_ tokens: ArraySlice<Token>) -> Bool {
        tokens.allSatisfy { $0 == .star || $0 == .globstar }
    }
}
