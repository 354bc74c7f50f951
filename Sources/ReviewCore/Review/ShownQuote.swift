/// A quote read the way the prompt showed its lines (`ReviewPrompt.render`): models copy what they
/// saw, so a quote may keep a line's prefix (`+152 | code`, ` 152 | code`, `-12 | code`), a bare
/// diff marker (`+code`, `-code`) or cut a long line short with `…` or `...`. The anchorer tries this
/// reading only when the quote as given is found nowhere, and still places a comment only on a line
/// whose text matches what is left.
///
/// Reading is one pass over each quote line's bytes: no pattern, no backtracking.
struct ShownQuote: Equatable {
    /// The code of each line, normalised, with its prefix or marker taken off (an ellipsis stays).
    var lines: [String]
    /// The side the first prefix or marker names: `-` is LEFT, `+` or a bare number RIGHT.
    var side: DiffSide?
    /// The line number the first numbered prefix names: the strong hint of where the quote sits.
    var line: Int?
    /// Whether a prefix, marker or code fence was taken off (else only an ellipsis can make the
    /// reading differ).
    var rewritten: Bool
    /// Whether a line was shown as reading-only context (`~N | code`, or the `~ ⋯` between runs):
    /// such a line is not in the diff, so nothing may be placed for it.
    var quotesContext: Bool

    /// An elided quote must still say enough to pick a line: this many words (runs of letters,
    /// digits and `_`) and this many bytes other than spaces outside its ellipses, over all its lines.
    static let minimumElidedWords = 3
    static let minimumElidedBytes = 12

    /// Whether a quote read as `pieces` (each line's) elides code and keeps enough of it to pick a
    /// line (`if (…` does not).
    static func isElidedEnough(_ pieces: [[String]]) -> Bool {
        guard pieces.contains(where: { $0.count > 1 }) else { return false }
        let kept = pieces.flatMap { $0 }
        let bytes = kept.reduce(0) { $0 + $1.utf8.filter { $0 != 0x20 }.count }
        return bytes >= minimumElidedBytes && kept.reduce(0) { $0 + wordCount($1) } >= minimumElidedWords
    }

    /// Reads `quote`, already split into normalised, non-empty lines.
    init(_ quote: [String]) {
        var lines: [String] = []
        var side: DiffSide?
        var line: Int?
        var rewritten = false
        var quotesContext = false
        // A quote wrapped as Markdown code: a fence around it, or backticks around one line.
        var quote = quote
        if quote.count >= 2, quote[0].hasPrefix("```"), quote[quote.count - 1].allSatisfy({ $0 == "`" }) {
            quote = Array(quote.dropFirst().dropLast())
            rewritten = true
        } else if quote.count == 1, let only = quote.first, only.count > 2, only.first == "`", only.last == "`",
            !only.dropFirst().dropLast().contains("`")
        {
            quote = [Finding.normalise(only.dropFirst().dropLast())]
            rewritten = true
        }
        for text in quote {
            let bytes = Array(text.utf8)
            if Self.isContextLine(bytes) {
                quotesContext = true
                continue
            }
            if let prefix = Self.numberedPrefix(bytes) {
                rewritten = true
                if line == nil { line = prefix.number }
                if side == nil { side = prefix.side }
                lines.append(Finding.normalise(String(decoding: bytes[prefix.length...], as: UTF8.self)))
            } else if let marker = bytes.first, marker == UInt8(ascii: "+") || marker == UInt8(ascii: "-") {
                rewritten = true
                if side == nil { side = marker == UInt8(ascii: "-") ? .left : .right }
                lines.append(Finding.normalise(String(decoding: bytes.dropFirst(), as: UTF8.self)))
            } else {
                lines.append(text)
            }
        }
        self.lines = lines.filter { !$0.isEmpty }
        self.side = side
        self.line = line
        self.rewritten = rewritten
        self.quotesContext = quotesContext
    }

    /// The quote without the line-number prefixes the prompt adds: what a fingerprint keeps, so a
    /// finding quoted as `+152 | code` on one push and `+153 | code` on the next is the same finding.
    static func withoutNumberedPrefixes(_ quote: String) -> String {
        quote.split(separator: "\n", omittingEmptySubsequences: false).map { raw in
            let normalised = Finding.normalise(raw)
            let bytes = Array(normalised.utf8)
            guard let length = numberedPrefix(bytes)?.length ?? contextPrefix(bytes)?.length else { return String(raw) }
            return String(decoding: bytes[length...], as: UTF8.self)
        }.joined(separator: "\n")
    }

    /// `[+|-]digits[ ]|[ ]` at the start of a normalised line (the prompt's ` N | ` lost its leading
    /// space to normalisation): the number, the side it names, and how many bytes it takes.
    private static func numberedPrefix(_ bytes: [UInt8]) -> (number: Int, side: DiffSide, length: Int)? {
        var index = 0
        var side = DiffSide.right
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            side = first == UInt8(ascii: "-") ? .left : .right
            index = 1
        }
        guard let number = digitsThenBar(bytes, from: index) else { return nil }
        return (number.value, side, number.end)
    }

    /// `~digits | ` at the start of a normalised line: a context line's prefix.
    private static func contextPrefix(_ bytes: [UInt8]) -> (number: Int, length: Int)? {
        guard bytes.first == UInt8(ascii: "~"), let number = digitsThenBar(bytes, from: 1) else { return nil }
        return (number.value, number.end)
    }

    /// A reading-only line as the prompt shows it: `~N | code`, or `~ ⋯` between two runs.
    private static func isContextLine(_ bytes: [UInt8]) -> Bool {
        if contextPrefix(bytes) != nil { return true }
        let gap = Array("⋯".utf8)
        return bytes.first == UInt8(ascii: "~") && Array(bytes.dropFirst().drop { $0 == 0x20 }) == gap
    }

    /// 1–9 digits from `start`, an optional space, `|`, an optional space: the number and where the code starts.
    private static func digitsThenBar(_ bytes: [UInt8], from start: Int) -> (value: Int, end: Int)? {
        var index = start
        var value = 0
        while index < bytes.count, index - start < 9, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard index > start else { return nil }
        if index < bytes.count, bytes[index] == 0x20 { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "|") else { return nil }
        index += 1
        if index < bytes.count, bytes[index] == 0x20 { index += 1 }
        return (value, index)
    }

    /// A line's literal parts around `…` and `...` (a run of dots of three or more is one ellipsis),
    /// each trimmed of the space next to the ellipsis; an empty first or last part means the line
    /// begins or ends with one. A line matches when its parts occur in order, the first at the
    /// line's start unless empty, the last at its end unless empty; one part is the whole line.
    static func pieces(_ line: String) -> [String] {
        let bytes = Array(line.utf8)
        let ellipsis: [UInt8] = [0xE2, 0x80, 0xA6]
        var parts: [String] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            var skip = 0
            if bytes[index...].starts(with: ellipsis) {
                skip = 3
            } else if bytes[index] == UInt8(ascii: ".") {
                var end = index
                while end < bytes.count, bytes[end] == UInt8(ascii: ".") { end += 1 }
                if end - index >= 3 { skip = end - index }
            }
            if skip > 0 {
                parts.append(trimmed(current))
                current = []
                index += skip
            } else {
                current.append(bytes[index])
                index += 1
            }
        }
        parts.append(trimmed(current))
        return parts
    }

    private static func trimmed(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed(), as: UTF8.self)
    }

    /// Runs of ASCII letters, digits and `_`, and of other scalars past ASCII (words in any script).
    private static func wordCount(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for byte in text.utf8 {
            let isWordByte =
                byte >= 0x80 || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            if isWordByte && !inWord { count += 1 }
            inWord = isWordByte
        }
        return count
    }
}
