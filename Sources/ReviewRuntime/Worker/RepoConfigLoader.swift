import Foundation
import ReviewCore
import Yams

/// Reads `.github/prreview.yml` from the pull request's base branch. A missing file means defaults;
/// a broken one means defaults plus the problems, which the review body then states.
public enum RepoConfigLoader {
    public static let path = RepoConfig.path

    /// `.github/prreview.yml` at `ref` (the base branch; defaults when absent) and its problems.
    public static func load(_ github: GitHubClient, repository: RepositoryRef, ref: String) async throws -> (RepoConfig, [String]) {
        switch try await github.fileContents(repository, path: path, ref: ref, maxBytes: maxBytes) {
        case nil: return (RepoConfig(), [])
        case .file(let data)?: return parse(String(decoding: data, as: UTF8.self))
        case .tooLarge(let bytes)?: return (RepoConfig(), ["the file is \(bytes.map { "\($0) bytes" } ?? "too large"); the limit is \(maxBytes)"])
        case .notAFile?: return (RepoConfig(), ["\(path) is not a file"])
        }
    }

    /// Limits on a file its repository's contributors write: far above any real config, far below
    /// what could hurt the worker (a YAML "billion laughs" expands a few hundred bytes into gigabytes).
    public static let maxBytes = 64 * 1024
    public static let maxNodes = 10_000
    public static let maxAliases = 16
    public static let maxFlowDepth = 64

    /// Parses config text within the hostile-YAML limits; problems are listed, defaults used.
    public static func parse(_ text: String) -> (RepoConfig, [String]) {
        if text.utf8.count > maxBytes { return (RepoConfig(), ["the file is \(text.utf8.count) bytes; the limit is \(maxBytes)"]) }
        let shape = YAMLShape(text)
        if shape.aliases > maxAliases {
            return (RepoConfig(), ["the file uses \(shape.aliases) YAML aliases; at most \(maxAliases) are read"])
        }
        if shape.flowDepth > maxFlowDepth {
            return (RepoConfig(), ["the file nests [ ] or { } \(shape.flowDepth) deep; the limit is \(maxFlowDepth)"])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            return (RepoConfig(), ["\(path) is not valid YAML"])
        }
        guard let root else { return (RepoConfig(), []) }
        var budget = maxNodes
        guard let document = json(root, budget: &budget) else {
            return (RepoConfig(), ["the file expands to more than \(maxNodes) YAML nodes (through aliases)"])
        }
        return RepoConfig.from(document)
    }

    /// The node as JSON, counting every node it expands to (an alias counts again each time it is
    /// used); nil once `budget` runs out.
    private static func json(_ node: Node, budget: inout Int) -> JSONValue? {
        budget -= 1
        guard budget >= 0 else { return nil }
        switch node {
        case .scalar(let scalar):
            // The scalar as its resolved tag constructs it (bool, int, float, null, else text).
            switch node.any {
            case let flag as Bool: return .bool(flag)
            case let number as Int: return .number(Double(number))
            case let number as Double: return .number(number)
            case is NSNull: return .null
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence {
                guard let value = json(item, budget: &budget) else { return nil }
                items.append(value)
            }
            return .array(items)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let converted = json(value, budget: &budget) else { return nil }
                let name = key.string ?? "\(key)"
                if object[name] == nil { object[name] = converted }
            }
            return .object(object)
        case .alias:
            return .null
        }
    }
}

/// A linear look at YAML text before any parser sees it: how many aliases (`*name` where a node
/// starts) and how deep `[ ]` / `{ }` nest. It over-counts rather than under-counts (brackets and
/// asterisks inside quoted text count too), so what passes is safe to hand to the parser.
struct YAMLShape {
    var aliases = 0
    var flowDepth = 0

    init(_ text: String) {
        var depth = 0
        var previous: UInt8?  // the last non-blank byte on this line; nil at a line's start
        var inComment = false
        let bytes = Array(text.utf8)
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A || byte == 0x0D { previous = nil; inComment = false; continue }
            if inComment || byte == 0x20 || byte == 0x09 { continue }
            switch byte {
            case UInt8(ascii: "#") where index == 0 || bytes[index - 1] == 0x20 || bytes[index - 1] == 0x09:
                inComment = true
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                flowDepth = max(flowDepth, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            case UInt8(ascii: "*"):
                let startsNode = previous.map { Set("-:[,?{".utf8).contains($0) } ?? true
                let named = index + 1 < bytes.count && ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[index + 1])
                if startsNode && named { aliases += 1 }
            default: break
            }
            previous = byte
        }
    }
}
