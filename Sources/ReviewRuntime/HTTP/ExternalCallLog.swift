import Foundation
import Logging
import ReviewCore

/// One debug line per call to another service (GitHub, the queue, the model, a platform API),
/// written by the transport: method, host, path, status — or the failure's code —, duration, and
/// the request id the service gave (GitHub's `x-github-request-id`, AWS's `x-amzn-requestid`,
/// the model's `x-request-id` or `request-id`), so a slow or failing call can be found in the
/// service's own logs. Never a header, a query or a body: tokens and keys travel there.
enum ExternalCallLog {
    static let logger = Logger(label: "external")

    /// The response headers that name the request on the service's side, in the order looked for.
    static let requestIdHeaders = ["x-github-request-id", "x-amzn-requestid", "x-request-id", "request-id", "x-cloud-trace-context"]

    static func record(_ request: HTTPRequest, _ call: () async throws -> HTTPResponse) async throws -> HTTPResponse {
        guard logger.logLevel <= .debug else { return try await call() }
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "method": "\(request.method)", "host": "\(request.url.host ?? "?")", "path": "\(request.url.path)",
        ]
        do {
            let response = try await call()
            metadata["status"] = "\(response.status)"
            metadata["ms"] = "\(milliseconds(since: started))"
            if let id = requestIdHeaders.lazy.compactMap({ response.header($0) }).first { metadata["requestId"] = "\(id.prefix(80))" }
            logger.debug("external call", metadata: metadata)
            return response
        } catch {
            metadata["ms"] = "\(milliseconds(since: started))"
            metadata["error"] = "\(error is CancellationError ? "cancelled" : ReviewError.from(error).code.rawValue)"
            logger.debug("external call failed", metadata: metadata)
            throw error
        }
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Int { Int((ContinuousClock.now - start) / .milliseconds(1)) }
}
