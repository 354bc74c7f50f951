import Foundation

/// The one rule for text from a pull request or a model that reaches GitHub: it renders as the
/// text it is. No link, image, heading, table, mention, raw HTML or hidden comment can come out of
/// it, and it can never contain the `<!--` that starts one of our markers. Linear time, no patterns.
public enum MarkdownText {
    /// `text` as inline Markdown that renders literally: Markdown punctuation backslash-escaped,
    /// `<`, `>`, `&` as entities, HTML comments removed, mentions and bare links defused with a
    /// zero-width space, control and bidirectional-override characters dropped. Line breaks become
    /// spaces unless `keepingLines` (then each line is escaped on its own and blank lines kept).
    public static func plain(_ text: some StringProtocol, keepingLines: Bool = false) -> String {
        let scalars = Array(withoutHTMLComments(text).unicodeScalars)
        var out = String.UnicodeScalarView()
        out.reserveCapacity(scalars.count + scalars.count / 8)
        var atLineStart = true, inLeadingDigits = false
        var recent: (Unicode.Scalar, Unicode.Scalar, Unicode.Scalar) = (" ", " ", " ")  // the last three scalars read
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            defer { recent = (recent.1, recent.2, scalar) }
            if scalar == "\n" || scalar == "\r" {
                if scalar == "\r", index < scalars.count, scalars[index] == "\n" { index += 1 }
                if keepingLines { out.append("\n") } else if out.last != " " { out.append(" ") }
                atLineStart = keepingLines
                inLeadingDigits = false
                continue
            }
            if isInvisibleControl(scalar) { continue }
            if atLineStart, scalar == " " || scalar == "\t" { continue }  // leading spaces would make an indented code block
            if scalar == "\t" { out.append(" "); continue }
            let lineStart = atLineStart
            atLineStart = false
            let afterLeadingDigits = inLeadingDigits  // "12" then "." or ")" would start a list
            inLeadingDigits = (lineStart || inLeadingDigits) && ("0"..."9").contains(scalar)
            switch scalar {
            case "`":
                // An inline code span a line holds stays one (`error as Error` reads as code), made
                // again by `code`: it cannot close early, and no marker, mention or link works inside.
                // A backtick with no partner on its line is escaped. Each scan stops at the next
                // backtick or the line's end, so the work stays linear.
                var end = index
                while end < scalars.count, scalars[end] != "`", scalars[end] != "\n", scalars[end] != "\r" { end += 1 }
                if end < scalars.count, scalars[end] == "`", end > index {
                    out.append(contentsOf: code(String(String.UnicodeScalarView(scalars[index..<end]))).unicodeScalars)
                    index = end + 1
                } else {
                    out.append("\\")
                    out.append(scalar)
                }
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "@":
                out.append(scalar)
                out.append(zeroWidthSpace)
            case ":" where index + 1 < scalars.count && scalars[index] == "/" && scalars[index + 1] == "/":
                out.append(scalar)
                out.append(zeroWidthSpace)
            case "." where [recent.0, recent.1, recent.2].allSatisfy({ $0 == "w" || $0 == "W" }):
                out.append(zeroWidthSpace)
                out.append(scalar)
            case "-" where lineStart, "+" where lineStart, "=" where lineStart, "/" where lineStart:
                // `/` too: a line starting `/approve` or `/lgtm` is a command to other bots that read the raw text.
                out.append("\\")
                out.append(scalar)
            case "." where afterLeadingDigits, ")" where afterLeadingDigits:
                out.append("\\")
                out.append(scalar)
            default:
                if scalar.isASCII, escaped.contains(UInt8(scalar.value)) { out.append("\\") }
                out.append(scalar)
            }
        }
        while out.last == " " || out.last == "\n" { out.removeLast() }
        return String(out)
    }

    /// `text` as an inline code span it cannot close: a backtick run longer than any inside it,
    /// line breaks and control characters shown as escapes (`\n`), `<!--` broken up.
    public static func code(_ text: some StringProtocol) -> String {
        let content = showingControls(text).replacingOccurrences(of: "<!--", with: "<!\u{200B}--")
        let fence = String(repeating: "`", count: longestBacktickRun(content) + 1)
        let padded = content.hasPrefix("`") || content.hasSuffix("`") || content.isEmpty ? " \(content) " : content
        return fence + padded + fence
    }

    /// `text` with line breaks, tabs and invisible controls written as visible escapes (`\n`, `\u{202e}`).
    public static func showingControls(_ text: some StringProtocol) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case _ where isInvisibleControl(scalar): out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// A fenced code block (`info` after the opening fence, e.g. `suggestion`) that `text` cannot
    /// close: the fence is one backtick longer than the longest run inside, counted in bytes.
    public static func codeBlock(_ text: some StringProtocol, info: String) -> String {
        let fence = String(repeating: "`", count: max(3, longestBacktickRun(text) + 1))
        return "\(fence)\(info)\n\(text)\n\(fence)"
    }

    /// The longest run of backtick bytes in `text` (bytes, not characters: a combining mark after a
    /// backtick does not hide it from a Markdown reader).
    public static func longestBacktickRun(_ text: some StringProtocol) -> Int {
        var longest = 0, run = 0
        for byte in text.utf8 {
            run = byte == UInt8(ascii: "`") ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// `text` without `<!-- … -->` comments; an unclosed `<!--` takes the rest of the text with it.
    static func withoutHTMLComments(_ text: some StringProtocol) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<"), index + 3 < bytes.count, bytes[index + 1] == UInt8(ascii: "!"),
                bytes[index + 2] == UInt8(ascii: "-"), bytes[index + 3] == UInt8(ascii: "-")
            {
                var end = index + 4
                while end + 2 < bytes.count, !(bytes[end] == UInt8(ascii: "-") && bytes[end + 1] == UInt8(ascii: "-") && bytes[end + 2] == UInt8(ascii: ">")) {
                    end += 1
                }
                index = end + 3
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    static let zeroWidthSpace: Unicode.Scalar = "\u{200B}"

    /// ASCII punctuation with a meaning anywhere in a line of GitHub Markdown (`<`, `>`, `&` become
    /// entities; `-`, `+`, `=`, `/` and a number's `.` or `)` matter only at a line's start).
    static let escaped: Set<UInt8> = Set("\\*_[]#!|~$".utf8)

    /// C0/C1 controls (but tab and line breaks, handled by the callers), bidirectional overrides and
    /// isolates ("Trojan Source"), and the zero-width joiners that could hide text.
    static func isInvisibleControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        case 0xFEFF: true
        default: false
        }
    }
}
