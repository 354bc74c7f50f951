import Foundation
import Logging
import ReviewCore
import ServiceLifecycle

/// Serve mode's HTTP server as a swift-service-lifecycle `Service`: it runs until the group asks
/// it to shut down gracefully (SIGTERM, SIGINT), then says so, lets the handler stop starting work,
/// and gives the requests under way `grace` seconds.
struct GracefulHTTPService: Service {
    let server: HTTPServer
    let grace: TimeInterval
    let logger: Logger
    /// Logged once the group runs (and handles signals): scripts wait for this line.
    let listening: String
    let beginShutdown: @Sendable () -> Void

    func run() async throws {
        logger.info("\(listening)")
        // Suspends until graceful shutdown is triggered; a cancelled group ends it at once.
        try? await gracefulShutdown()
        logger.info("shutting down: no new requests, finishing those under way", metadata: ["graceSeconds": "\(grace)"])
        beginShutdown()
        await server.shutdown(grace: grace)
    }
}

/// `/readyz`: the handler's readiness, checked at most once a second (a probe every few
/// seconds from each of many instances stays one PING a second each); 503 once shutting down.
public actor ReadinessCache {
    private let check: @Sendable () async -> String?
    private var last: (at: Date, problem: String?)?
    private let clock: WallClock
    public nonisolated let shuttingDown = ShutdownFlag()

    public init<Handler: FunctionHandler>(handler: Handler, clock: WallClock = .system) {
        check = { await handler.readiness()?.message }
        self.clock = clock
    }

    public func answer() async -> HTTPResponse {
        if shuttingDown.isSet { return Self.response(problem: "shutting down") }
        let now = clock.now()
        if let last, now.timeIntervalSince(last.at) < 1 { return Self.response(problem: last.problem) }
        let problem = await check()
        last = (now, problem)
        return Self.response(problem: problem)
    }

    static func response(problem: String?) -> HTTPResponse {
        guard let problem else { return .json(200, Data(#"{"status":"ready"}"#.utf8)) }
        let body = (try? JSONSerialization.data(withJSONObject: ["status": "not ready", "reason": problem])) ?? Data()
        return .json(503, body)
    }
}
