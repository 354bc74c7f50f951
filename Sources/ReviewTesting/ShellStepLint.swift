import Foundation

/// Reads the shell steps of a Markdown document (its ```sh blocks) the way a newcomer pastes them
/// and reports every variable a step uses before anything set it.
///
/// Each `## ` section starts in a fresh shell; the env file (`pr-review.env`) outlives shells: it
/// starts with what `reviewctl app create` writes, a heredoc appended to it adds its `NAME=` lines,
/// and sourcing it (`. ./pr-review.env`) sets them. A variable is set by an assignment with no command
/// after it (`A=1 B=2`), `export`, `for NAME in`, `read NAME`; `NAME=v command` sets it for that
/// command only. `${NAME:-default}` is not a use, nor is anything between single quotes or in a
/// heredoc whose delimiter is quoted. A simple reader, not a shell: it knows what our steps need.
package enum ShellStepLint {
    package struct Finding: Equatable, CustomStringConvertible {
        package let section: String
        package let variable: String
        package let line: String
        package var description: String { "\(section): $\(variable) is used before it is set, in `\(line)`" }
    }

    /// What every shell has.
    static let ambient: Set<String> = ["HOME", "PATH", "PWD", "USER", "SHELL", "RANDOM", "TMPDIR"]

    package static func check(markdown: String, envFile: String = "pr-review.env", envFileNames: Set<String>) -> [Finding] {
        var findings: [Finding] = []
        var fileNames = envFileNames
        var section = "(top)"
        var shell = ambient
        var lines = markdown.components(separatedBy: "\n")[...]
        while let line = lines.popFirst() {
            if line.hasPrefix("## ") {
                section = String(line.dropFirst(3))
                shell = ambient
                continue
            }
            guard line.trimmingCharacters(in: .whitespaces) == "```sh" else { continue }
            var block: [String] = []
            while let inner = lines.popFirst(), inner.trimmingCharacters(in: .whitespaces) != "```" { block.append(inner) }
            read(block: block, section: section, envFile: envFile, shell: &shell, fileNames: &fileNames, findings: &findings)
        }
        return findings
    }

    private static func read(
        block: [String], section: String, envFile: String, shell: inout Set<String>, fileNames: inout Set<String>, findings: inout [Finding]
    ) {
        var rest = block[...]
        while var line = rest.popFirst() {
            while line.hasSuffix("\\"), let next = rest.popFirst() { line = String(line.dropLast()) + " " + next }
            if let heredoc = Heredoc(line) {
                var body: [String] = []
                while let inner = rest.popFirst(), inner.trimmingCharacters(in: .whitespaces) != heredoc.delimiter { body.append(inner) }
                if heredoc.appendsTo(envFile) {
                    for entry in body { if let name = assignedName(entry) { fileNames.insert(name) } }
                }
                if heredoc.expands {
                    for entry in body {
                        for name in uses(in: entry) where !shell.contains(name) { findings.append(Finding(section: section, variable: name, line: entry)) }
                    }
                }
            }
            for words in commands(in: line) {
                if words.first == "." || words.first == "source", words.count > 1, words[1].hasSuffix(envFile) {
                    shell.formUnion(fileNames)
                    continue
                }
                var scoped = shell
                var assignments: [String] = []
                var index = 0
                while index < words.count, let name = assignedName(words[index]) {
                    for used in uses(in: words[index]) where !scoped.contains(used) {
                        findings.append(Finding(section: section, variable: used, line: line))
                    }
                    scoped.insert(name)
                    assignments.append(name)
                    index += 1
                }
                let remaining = words[index...]
                for word in remaining {
                    for used in uses(in: word) where !scoped.contains(used) { findings.append(Finding(section: section, variable: used, line: line)) }
                }
                if remaining.isEmpty { shell.formUnion(assignments) }
                switch remaining.first {
                case "export": shell.formUnion(remaining.dropFirst().compactMap { assignedName($0) ?? ($0.allSatisfy(isNameCharacter) ? $0 : nil) })
                case "for" where remaining.count > 1: shell.insert(remaining[remaining.startIndex + 1])
                case "read": shell.formUnion(remaining.dropFirst().filter { !$0.hasPrefix("-") })
                default: break
                }
            }
        }
    }

    /// `NAME` of a `NAME=value` word.
    package static func assignedName(_ word: String) -> String? {
        guard let equals = word.firstIndex(of: "="), equals != word.startIndex else { return nil }
        let name = word[..<equals]
        guard let first = name.first, first.isLetter || first == "_", name.allSatisfy(isNameCharacter) else { return nil }
        return String(name)
    }

    static func isNameCharacter(_ character: Character) -> Bool { character.isASCII && (character.isLetter || character.isNumber || character == "_") }

    /// Where a reader of shell text is: inside which quotes and `$( … )`s, innermost last. The one
    /// place both readers below keep it.
    struct Quoting {
        private var open: [Character] = []
        var isEmpty: Bool { open.isEmpty }
        var inSingle: Bool { open.last == "'" }

        /// Takes `character` (`previous` the one before it): opens or closes a quote or a `$(`.
        mutating func take(_ character: Character, after previous: Character?) {
            switch character {
            case "'" where inSingle: open.removeLast()
            case "'" where open.last != "\"": open.append("'")
            case "\"" where open.last == "\"": open.removeLast()
            case "\"" where !inSingle: open.append("\"")
            case "(" where previous == "$" && !inSingle: open.append("(")
            case ")" where open.last == "(": open.removeLast()
            default: break
            }
        }
    }

    /// The variables a piece of shell expands: `$NAME` and `${NAME…}` outside single quotes, but not
    /// `${NAME:-…}`/`${NAME-…}`/`${NAME:=…}`, which bring their own value.
    static func uses(in text: String) -> [String] {
        var found: [String] = []
        var quoting = Quoting()
        var previous: Character?
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            defer { previous = character }
            if character == "\\", !quoting.inSingle {
                _ = characters.popFirst()
                continue
            }
            if character == "$", !quoting.inSingle, characters.first != "(" {
                let braced = characters.first == "{"
                if braced { characters.removeFirst() }
                let name = String(characters.prefix(while: isNameCharacter))
                characters.removeFirst(name.count)
                let withDefault = braced && (characters.starts(with: ":-") || characters.starts(with: "-") || characters.starts(with: ":="))
                if !name.isEmpty, !withDefault, name.first?.isNumber == false { found.append(name) }
                continue
            }
            quoting.take(character, after: previous)
        }
        return found
    }

    /// A line's simple commands (split at `;`, `|`, `&&`, `||` and a comment outside quotes and
    /// `$( … )`), as words.
    static func commands(in line: String) -> [[String]] {
        var commands: [[String]] = []
        var words: [String] = []
        var word = ""
        var quoting = Quoting()
        func endWord() {
            if !word.isEmpty { words.append(word) }
            word = ""
        }
        func endCommand() {
            endWord()
            if !words.isEmpty { commands.append(words) }
            words = []
        }
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if character == "\\", !quoting.inSingle {
                word.append(character)
                if let escaped = characters.popFirst() { word.append(escaped) }
                continue
            }
            if quoting.isEmpty {
                var separates = true
                switch character {
                case "#" where word.isEmpty: characters.removeAll()  // a comment: the rest of the line
                case ";", "|", "&": endCommand()
                case " ", "\t": endWord()
                default: separates = false
                }
                if separates { continue }
            }
            quoting.take(character, after: word.last)
            word.append(character)
        }
        endCommand()
        return commands
    }

    /// `<<'END'`, `<<"END"` or `<<END` on a line, and where its body goes.
    struct Heredoc {
        let delimiter: String
        /// An unquoted delimiter: the body's `$NAME`s are expanded.
        let expands: Bool
        let line: String

        init?(_ line: String) {
            guard let range = line.range(of: "<<") else { return nil }
            var rest = line[range.upperBound...].drop { $0 == "-" || $0 == " " }
            let quoted = rest.first == "'" || rest.first == "\""
            if quoted { rest = rest.dropFirst() }
            let delimiter = String(rest.prefix(while: isNameCharacter))
            guard !delimiter.isEmpty else { return nil }
            self.delimiter = delimiter
            self.expands = !quoted
            self.line = line
        }

        func appendsTo(_ file: String) -> Bool {
            line.contains(">>\(file)") || line.contains(">> \(file)") || line.contains(">>./\(file)")
        }
    }
}
