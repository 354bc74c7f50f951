import Foundation

extension JSONEncoder {
    /// The project's one JSON output format: sorted keys, unescaped slashes, ISO-8601 dates.
    public static let iso: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

extension JSONEncoder {
    /// `iso`, indented: what a person reads (reviewctl's `--json`).
    public static let pretty: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }()
}

extension JSONDecoder {
    /// Reads what `JSONEncoder.iso` writes (ISO-8601 dates).
    public static let iso: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
