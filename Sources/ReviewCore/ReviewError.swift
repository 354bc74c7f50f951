/// The one error type that crosses a boundary: a stable `code` for logs and metrics, a message a
/// person can act on (never a secret), whether trying again later may help, and an optional delay.
public struct ReviewError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    public let isRetryable: Bool
    /// Seconds to wait before a retry, when the failing service said so (`retry-after`, rate-limit reset).
    public let retryAfter: Double?

    public init(code: String, message: String, isRetryable: Bool = false, retryAfter: Double? = nil) {
        self.code = code
        self.message = message
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code): \(message)" }

    /// Input that does not say what it must (a 400 at an HTTP boundary).
    public static func badInput(_ message: String) -> ReviewError {
        ReviewError(code: "bad_input", message: message)
    }

    /// Configuration that cannot work; reported once at start.
    public static func badConfig(_ message: String) -> ReviewError {
        ReviewError(code: "bad_config", message: message)
    }
}
