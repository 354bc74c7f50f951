import Foundation

/// Any JSON document, decoded without a fixed schema so that payload validation can name the exact
/// field that is missing or of the wrong type.
public enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 9.0e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses JSON bytes; the error names what is wrong with them.
    public static func parse(_ data: Data, what: String = "body") throws(ReviewError) -> JSONValue {
        guard !data.isEmpty else { throw .badInput("\(what) is empty; expected a JSON object") }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw .badInput("\(what) is not valid UTF-8, so it cannot be JSON")
        }
        do {
            return try JSONParser.parse(data)
        } catch {
            throw .badInput("\(what) is not valid JSON (\(error))")
        }
    }

    /// The member named `key` of an object; nil for other values.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}

/// Reads typed fields out of a `JSONValue` by dotted path, failing with a message that names the field.
public struct JSONFieldReader: Sendable {
    public let root: JSONValue

    public init(_ root: JSONValue) { self.root = root }

    /// The value at `path` ("pull_request.head.sha"), or nil when any step is missing or null.
    public func value(at path: String) -> JSONValue? {
        var current: JSONValue? = root
        for key in path.split(separator: ".") {
            current = current?[String(key)]
            if current == nil || current == .null { return nil }
        }
        return current
    }

    /// The string at a dotted path, or an error naming the path.
    public func string(_ path: String) throws(ReviewError) -> String {
        guard let value = value(at: path) else { throw .badInput("missing field \(path)") }
        guard case .string(let string) = value else {
            throw .badInput("field \(path) must be a string, found \(value.typeName)")
        }
        return string
    }

    /// The string at a dotted path, nil when absent or null.
    public func optionalString(_ path: String) throws(ReviewError) -> String? {
        guard value(at: path) != nil else { return nil }
        return try string(path)
    }

    /// The integer at a dotted path, or an error naming the path.
    public func int(_ path: String) throws(ReviewError) -> Int {
        guard let value = value(at: path) else { throw .badInput("missing field \(path)") }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 9.0e15 else {
            throw .badInput("field \(path) must be an integer, found \(value.typeName)")
        }
        return Int(number)
    }

    /// The boolean at a dotted path, `fallback` when absent.
    public func bool(_ path: String, default fallback: Bool) throws(ReviewError) -> Bool {
        guard let value = value(at: path) else { return fallback }
        guard case .bool(let flag) = value else {
            throw .badInput("field \(path) must be a boolean, found \(value.typeName)")
        }
        return flag
    }

    /// The object at a dotted path, or an error naming the path.
    public func object(_ path: String) throws(ReviewError) -> JSONValue {
        guard let value = value(at: path) else { throw .badInput("missing field \(path)") }
        guard case .object = value else {
            throw .badInput("field \(path) must be an object, found \(value.typeName)")
        }
        return value
    }
}
