import Foundation

/// The one rule for keeping secrets out of text that leaves the process (logs, errors, answers):
/// every occurrence of a configured secret becomes `<redacted>`. Values shorter than four
/// characters are left alone: redacting them would mangle ordinary text and hide nothing.
public enum Redaction {
    public static let placeholder = "<redacted>"

    /// `text` with every secret of four characters or more replaced by the placeholder.
    public static func redact(_ text: String, secrets: [String]) -> String {
        secrets.reduce(text) { result, secret in
            secret.count >= 4 ? result.replacingOccurrences(of: secret, with: placeholder) : result
        }
    }
}
