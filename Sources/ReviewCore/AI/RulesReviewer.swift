import Foundation

/// The built-in reviewer: no network, no key. It looks at added lines only and reports what is
/// almost always a mistake — committed secrets, merge-conflict markers, debug prints, TODOs without
/// an issue, force unwraps and `try!` in Swift, disabled tests, very long lines.
public struct RulesReviewer: Sendable {
    struct Rule: Sendable {
        let id: String
        let severity: Finding.Severity
        let title: String
        let body: String
        let pattern: NSRegularExpression?
        /// File name suffixes the rule applies to; empty means all files.
        let suffixes: [String]
        /// A line matching this is not reported (e.g. a TODO that names its issue).
        let unless: NSRegularExpression?
    }

    public static let longLineLimit = 200
    /// Lines longer than this (minified code, data, an attack) are checked for secrets only, in
    /// overlapping windows of this size: the work per byte stays bounded whatever the line holds.
    public static let windowBytes = 4096
    static let windowOverlap = 512

    /// The patterns are literals of this file; one that does not compile is nil and caught by the tests.
    static func regex(_ pattern: String) -> NSRegularExpression? {
        try? NSRegularExpression(pattern: pattern)
    }

    static let rules: [Rule] = [
        Rule(
            id: "secret-aws-key", severity: .security, title: "AWS access key committed",
            body: "This looks like an AWS access key id. Remove it, rotate the key, and load it from the environment or a secret store.",
            pattern: regex(#"\b(AKIA|ASIA)[0-9A-Z]{16}\b"#), suffixes: [], unless: nil),
        Rule(
            id: "secret-github-token", severity: .security, title: "GitHub token committed",
            body: "This looks like a GitHub token. Revoke it now and read it from a secret instead.",
            pattern: regex(#"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"#), suffixes: [], unless: nil),
        Rule(
            id: "secret-private-key", severity: .security, title: "Private key committed",
            body: "A private key block is being added. Remove it from the change and from history, and rotate the key.",
            pattern: regex(#"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----"#), suffixes: [], unless: nil),
        Rule(
            id: "secret-password", severity: .security, title: "Hard-coded credential",
            body: "A password or secret is assigned a literal value. Read it from configuration or a secret store.",
            pattern: regex(#"(?i)\b(password|passwd|pwd|secret|api_?key|access_?token|auth_?token)\b["']?\s*[:=]\s*["'][^"'\s]{6,}["']"#),
            suffixes: [], unless: regex(#"(?i)(example|placeholder|changeme|dummy|your[_-]|<[^<>]+>|\$\{|\{\{|os\.environ|getenv|process\.env)"#)),
        Rule(
            id: "merge-conflict", severity: .bug, title: "Merge-conflict marker",
            body: "A merge-conflict marker was committed; the file will not compile or will behave unexpectedly.",
            pattern: regex(#"^(<{7}|>{7})( |$)|^={7}$"#), suffixes: [], unless: nil),
        Rule(
            id: "debug-print", severity: .nit, title: "Debug output left in",
            body: "This looks like debugging output. Remove it or use the project's logger.",
            pattern: regex(#"(\bconsole\.(log|debug)\(|\bdbg!\(|\bdebugger;|\bvar_dump\(|\bprintStackTrace\(\))"#), suffixes: [],
            unless: regex(#"^\s*(//|/\*|\*|#|--)"#)),
        Rule(
            id: "debug-print", severity: .nit, title: "Debug output left in",
            body: "`print` in library code writes to stdout unconditionally. Use a logger, or remove it.",
            pattern: regex(#"^\s*(debugPrint|print|dump)\("#), suffixes: [".swift"], unless: nil),
        Rule(
            id: "todo-without-issue", severity: .maintainability, title: "TODO without an issue",
            body: "A new TODO/FIXME without an issue reference tends to be forgotten. Link an issue (e.g. `TODO(#123)`) or do it now.",
            pattern: regex(#"\b(TODO|FIXME|XXX|HACK)\b"#), suffixes: [],
            unless: regex(#"(#\d+|\b[A-Z][A-Z0-9]+-\d+\b|https?://|\bissue\b)"#)),
        Rule(
            id: "swift-force-try", severity: .bug, title: "`try!` crashes on error",
            body: "`try!` traps when the call throws. Handle the error or propagate it with `try`.",
            pattern: regex(#"\btry!"#), suffixes: [".swift"], unless: nil),
        Rule(
            id: "swift-force-unwrap", severity: .maintainability, title: "Force unwrap",
            body: "A force unwrap traps when the value is nil. Prefer `guard let`/`if let` or a default.",
            pattern: regex(#"[A-Za-z0-9_\)\]]!(?=[\.\)\],;\s]|$)"#), suffixes: [".swift"], unless: regex(#"^\s*(//|///|\*)"#)),
        Rule(
            id: "disabled-test", severity: .maintainability, title: "Test disabled",
            body: "A test is being disabled. Say why and link an issue, or fix the test.",
            pattern: regex(
                #"(\b(xit|xdescribe|xtest)\(|\b(it|test|describe)\.skip\(|@Disabled\b|\.disabled\(|@pytest\.mark\.skip|@unittest\.skip|\bt\.Skip\(|XCTSkip\(|#\[ignore\])"#
            ),
            suffixes: [], unless: nil),
    ]

    public init() {}

    /// Findings on the added lines of `diff`; very long lines are reported once per file.
    public func review(_ diff: UnifiedDiff) -> [Finding] {
        var findings: [Finding] = []
        for file in diff.files {
            let isProse = [".md", ".markdown", ".txt", ".rst", ".adoc"].contains { file.path.lowercased().hasSuffix($0) }
            var longLines: [(number: Int, text: String)] = []
            for hunk in file.hunks {
                // Whether the line sits in a block comment or docstring (examples in doc comments are
                // prose): tracked through the new side's lines, context included.
                var comments = BlockComments()
                for line in hunk.lines where line.kind != .deleted {
                    let text = String(line.code)
                    let inComment = comments.read(text)
                    guard line.kind == .added else { continue }
                    findings += check(text, path: file.path, line: line.newLine ?? 0, isProse: isProse, inComment: inComment)
                    if !isProse, text.count > Self.longLineLimit { longLines.append((line.newLine ?? 0, text)) }
                }
            }
            if let first = longLines.first {
                let others = longLines.dropFirst().map { String($0.number) }
                let listed = others.prefix(10).joined(separator: ", ") + (others.count > 10 ? " and \(others.count - 10) more" : "")
                let more = others.isEmpty ? "" : " Also over \(Self.longLineLimit) in this file: line\(others.count == 1 ? "" : "s") \(listed)."
                findings.append(
                    Finding(
                        path: file.path, side: .right, line: first.number, quote: first.text, severity: .nit, title: "Very long line",
                        body: "This line is \(first.text.count) characters long; lines over \(Self.longLineLimit) are hard to read and review.\(more)",
                        rule: "long-line"
                    ))
            }
        }
        return findings
    }

    private func check(_ text: String, path: String, line: Int, isProse: Bool, inComment: Bool = false) -> [Finding] {
        var found: [Finding] = []
        let long = text.utf8.count > Self.windowBytes
        let pieces = long ? Self.windows(of: text) : [text]
        for rule in Self.rules where rule.suffixes.isEmpty || rule.suffixes.contains(where: { path.hasSuffix($0) }) {
            let isSecret = rule.id.hasPrefix("secret")
            if isProse && !isSecret && rule.id != "merge-conflict" { continue }
            if inComment && rule.id == "debug-print" { continue }
            if long && !isSecret { continue }
            if found.contains(where: { $0.rule == rule.id }) { continue }
            guard pieces.contains(where: { Self.fires(rule, on: $0) }) else { continue }
            found.append(Finding(path: path, side: .right, line: line, quote: text, severity: rule.severity, title: rule.title, body: rule.body, rule: rule.id))
        }
        return found
    }

    private static func fires(_ rule: Rule, on text: String) -> Bool {
        let range = NSRange(text.startIndex..., in: text)
        guard rule.pattern?.firstMatch(in: text, range: range) != nil else { return false }
        return rule.unless?.firstMatch(in: text, range: range) == nil
    }

    /// `text` in windows of `windowBytes`, each overlapping the next by `windowOverlap` bytes (more
    /// than any secret the rules look for), cut between UTF-8 characters.
    static func windows(of text: String) -> [String] {
        let bytes = Array(text.utf8)
        func boundary(_ index: Int) -> Int {
            var index = index
            while index > 0, index < bytes.count, bytes[index] & 0xC0 == 0x80 { index -= 1 }
            return index
        }
        var windows: [String] = []
        var start = 0
        while true {
            let end = boundary(min(start + windowBytes, bytes.count))
            windows.append(String(decoding: bytes[start..<end], as: UTF8.self))
            guard end < bytes.count else { return windows }
            start = max(boundary(end - windowOverlap), start + 1)
        }
    }
}

/// Follows `/* … */` blocks and `"""` docstrings line by line (bytes, no backtracking): a line is in
/// a comment when it starts inside one or starts by opening one. Strings holding these markers can
/// fool it; it only ever silences the debug-print rule.
struct BlockComments {
    private var inBlock = false
    private var inDocstring = false

    /// Whether `line` is (partly) inside a comment, and moves past it.
    mutating func read(_ line: String) -> Bool {
        let bytes = Array(line.utf8)
        let first = bytes.firstIndex { $0 != 0x20 && $0 != 0x09 } ?? bytes.count
        let opens = bytes[first...].starts(with: "/*".utf8) || bytes[first...].starts(with: "\"\"\"".utf8)
        let inside = inBlock || inDocstring || opens
        var index = 0
        while index < bytes.count {
            if inBlock {
                if bytes[index] == UInt8(ascii: "*"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") {
                    inBlock = false
                    index += 2
                    continue
                }
            } else if index + 2 < bytes.count, bytes[index] == 0x22, bytes[index + 1] == 0x22, bytes[index + 2] == 0x22 {
                inDocstring.toggle()
                index += 3
                continue
            } else if !inDocstring, bytes[index] == UInt8(ascii: "/"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                inBlock = true
                index += 2
                continue
            }
            index += 1
        }
        return inside
    }
}
