import Foundation

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

    /// Whether `path` matches `pattern` (`*` within a segment, `**` across, `?`), in time linear in both.
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
