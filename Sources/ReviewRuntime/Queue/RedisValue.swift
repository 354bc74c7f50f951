import Crypto
import Foundation
import ReviewCore

/// A reply from Redis as the Upstash REST protocol carries it.
public enum RedisValue: Sendable, Equatable {
    case null
    case int(Int)
    case string(String)
    case array([RedisValue])

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var int: Int? {
        switch self {
        case .int(let value): value
        case .string(let value): Int(value)
        default: nil
        }
    }

    public var array: [RedisValue] {
        if case .array(let value) = self { return value }
        return []
    }
}

/// A Lua script sent by `EVALSHA`, falling back to `EVAL` when the server does not have it yet.
public struct RedisScript: Sendable {
    public let name: String
    public let source: String
    public let sha1: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
        sha1 = Insecure.SHA1.hash(data: Data(source.utf8)).hexString
    }
}
