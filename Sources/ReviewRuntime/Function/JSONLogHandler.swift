import Foundation
import Logging
import ReviewCore

/// swift-log handler writing one JSON object per line to stderr (stdout is the function's output).
/// Any configured secret value that slips into a message or metadata is replaced by `<redacted>`.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let secrets: [String]

    public init(label: String, level: Logger.Level = .info, secrets: [String] = []) {
        self.label = label
        self.logLevel = level
        self.secrets = secrets
    }

    /// Metadata attached to every line this handler writes.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one JSON line to stderr, secrets redacted.
    public func log(event: LogEvent) {
        var fields: [String: String] = ["fn": label]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = redact("\(value)")
        }
        fields["level"] = event.level.rawValue
        fields["msg"] = redact("\(event.message)")
        fields["ts"] = Date().formatted(.iso8601)
        guard var line = try? JSONEncoder.iso.encode(fields) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    private func redact(_ text: String) -> String {
        Redaction.redact(text, secrets: secrets)
    }

    /// `LOG_LEVEL` (default info).
    public static func level(_ env: EnvironmentReader) -> Logger.Level {
        Logger.Level(rawValue: env.choice("LOG_LEVEL", of: Logger.Level.allCases.map(\.rawValue), default: "info")) ?? .info
    }

    /// Installs the handler for the whole process at `level`.
    public static func bootstrap(label: String, level: Logger.Level, secrets: [String]) {
        LoggingSystem.bootstrap { _ in JSONLogHandler(label: label, level: level, secrets: secrets) }
    }
}
