import ReviewCore

/// Sends HTTP requests; every outbound call of the project goes through one.
public protocol HTTPTransport: Sendable {
    /// Returns any response the server gave (4xx and 5xx included); throws `ReviewError` with code
    /// `timeout` or `network` (both retryable) when there was no response, and `CancellationError`
    /// when the calling task was cancelled.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
