/// The one error type that crosses a boundary: a stable `code` for logs, metrics and stored job
/// errors, a message a person can act on (never a secret), and an optional delay before a retry.
/// Whether a retry may help, and what each boundary answers, follow from the code alone
/// (`Code.isRetryable`, `Code.httpStatus`, `Code.exitCode`).
///
/// Two errors are equal when their codes are: the message is for people, and what the failing
/// service said is kept as data (`cause`) for the decisions that depend on it.
public struct ReviewError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Code
    public let message: String
    /// Seconds to wait before a retry, when the failing service said so (`retry-after`, rate-limit reset).
    public let retryAfter: Double?
    /// What the failing service answered, when one did.
    public let cause: Cause?

    public init(_ code: Code, _ message: String, retryAfter: Double? = nil, cause: Cause? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.cause = cause
    }

    /// What a service answered when it refused: its HTTP status, its error codes (Redis's error
    /// word such as `NOSCRIPT`; the `code`s of GitHub's `errors`) and its own message.
    public struct Cause: Sendable, Equatable {
        public var status: Int?
        public var codes: [String]
        public var text: String

        public init(status: Int? = nil, codes: [String] = [], text: String = "") {
            self.status = status
            self.codes = codes
            self.text = text
        }

        public func has(code: String) -> Bool { codes.contains(code) }
    }

    public static func == (lhs: ReviewError, rhs: ReviewError) -> Bool { lhs.code == rhs.code }

    /// `error` itself when it is a ReviewError; otherwise `code` with the error's type and text.
    public static func from(_ error: any Error, otherwise code: Code = .internal) -> ReviewError {
        if let known = error as? ReviewError { return known }
        return ReviewError(code, String("\(type(of: error)): \(error)".prefix(500)))
    }

    public var isRetryable: Bool { code.isRetryable }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Input that does not say what it must (a 400 at an HTTP boundary).
    public static func badInput(_ message: String) -> ReviewError { ReviewError(.badInput, message) }

    /// Configuration that cannot work; reported once at start.
    public static func badConfig(_ message: String) -> ReviewError { ReviewError(.badConfig, message) }
}

extension ReviewError {
    /// Every way a request, a delivery or a job can fail. The raw values are stable: they are logged,
    /// stored with failed jobs and sent in error bodies.
    public enum Code: String, Sendable, Codable, CaseIterable {
        // What the caller sent or configured.
        case badInput = "bad_input"
        case badConfig = "bad_config"
        case badSignature = "bad_signature"
        case tooLarge = "too_large"
        case methodNotAllowed = "method_not_allowed"
        case unauthorized
        // Our own failures.
        case `internal`
        case leaseLost = "lease_lost"
        /// A server holding all the request bodies it may.
        case busy
        // The network between us and any service.
        case network
        case timeout
        // The queue (Redis over REST).
        case queueUnreachable = "queue_unreachable"
        case queueUnauthorized = "queue_unauthorized"
        case queueProtocol = "queue_protocol"
        case redisError = "redis_error"
        case recordFailed = "record_failed"
        // GitHub.
        case githubProtocol = "github_protocol"
        case githubUnreachable = "github_unreachable"
        case githubUnauthorized = "github_unauthorized"
        case githubForbidden = "github_forbidden"
        case githubNotFound = "github_not_found"
        case githubTooLarge = "github_too_large"
        case githubUnprocessable = "github_unprocessable"
        case githubRateLimited = "github_rate_limited"
        case githubUnavailable = "github_unavailable"
        case githubError = "github_error"
        // The model provider.
        case modelUnavailable = "model_unavailable"
        /// 429, 529 or overloaded: the API key's limit, shared by every job.
        case modelRateLimited = "model_rate_limited"
        case modelUnauthorized = "model_unauthorized"
        case modelRejected = "model_rejected"
        case modelTimeout = "model_timeout"
        case modelInvalidOutput = "model_invalid_output"

        /// Whether trying again later may succeed: the failure was in a service or the network,
        /// not in what was asked.
        public var isRetryable: Bool {
            switch self {
            case .network, .timeout, .leaseLost, .busy, .queueUnreachable, .queueProtocol, .recordFailed, .githubProtocol,
                .githubUnreachable, .githubRateLimited, .githubUnavailable, .modelUnavailable, .modelRateLimited, .modelTimeout,
                .modelInvalidOutput:
                true
            case .badInput, .badConfig, .badSignature, .tooLarge, .methodNotAllowed, .unauthorized, .internal, .queueUnauthorized,
                .redisError, .githubUnauthorized, .githubForbidden, .githubNotFound, .githubTooLarge, .githubUnprocessable,
                .githubError, .modelUnauthorized, .modelRejected:
                false
            }
        }

        /// A service's rate limit: the job waits for it without spending an attempt.
        public var isRateLimit: Bool { self == .githubRateLimited || self == .modelRateLimited }

        /// The HTTP status a function answers with: the caller's mistakes are 4xx, a failure worth
        /// retrying is 503, anything else 500.
        public var httpStatus: Int {
            switch self {
            case .badInput: 400
            case .badSignature, .unauthorized: 401
            case .methodNotAllowed: 405
            case .tooLarge: 413
            default: isRetryable ? 503 : 500
            }
        }

        /// The exit code of a run from a file or stdin: 2 when the input or configuration is wrong, else 1.
        public var exitCode: Int32 {
            self == .badInput || self == .badConfig ? 2 : 1
        }
    }
}
