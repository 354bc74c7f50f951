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
    /// Waits for the handler's background work, up to the grace period.
    let finishBackground: @Sendable (TimeInterval) async -> Void

    func run() async throws {
        logger.info("\(listening)")
        // Suspends until graceful shutdown is triggered; a cancelled group ends it at once.
        try? await gracefulShutdown()
        logger.info("shutting down: no new requests, finishing those under way", metadata: ["graceSeconds": "\(grace)"])
        beginShutdown()
        async let background: Void = finishBackground(grace)
        await server.shutdown(grace: grace)
        await background
    }
}

/// `/readyz`: the handler's readiness, checked at most once a second — probes that arrive while a
/// check is under way wait for its answer, so any number of them cost one PING a second; 503 once
/// shutting down. The answer gives a fixed reason: what failed (a host name, an error) is for the
/// logs, not for whoever can reach the port.
public actor ReadinessCache {
    private let check: @Sendable () async -> String?
    private var last: (at: Date, problem: String?)?
    private var inFlight: Task<String?, Never>?
    private let clock: WallClock
    public nonisolated let shuttingDown = ShutdownFlag()

    public init<Handler: FunctionHandler>(handler: Handler, clock: WallClock = .system) {
        self.init(clock: clock) { await handler.readiness()?.message }
    }

    /// A cache over `check` (nil: ready; else what is wrong).
    public init(clock: WallClock = .system, check: @escaping @Sendable () async -> String?) {
        self.check = check
        self.clock = clock
    }

    public func answer() async -> HTTPResponse {
        if shuttingDown.isSet { return Self.response(problem: Self.shuttingDownReason) }
        let now = clock.now()
        if let last, now.timeIntervalSince(last.at) < 1 { return Self.response(problem: last.problem) }
        if let inFlight { return Self.response(problem: await inFlight.value) }
        let flight = Task { await check() }
        inFlight = flight
        let problem = await flight.value
        inFlight = nil
        last = (now, problem)
        return Self.response(problem: problem)
    }

    static let shuttingDownReason = "shutting down"

    static func response(problem: String?) -> HTTPResponse {
        guard let problem else { return .json(200, Data(#"{"status":"ready"}"#.utf8)) }
        let reason = problem == shuttingDownReason ? problem : "the queue does not answer"
        let body = (try? JSONSerialization.data(withJSONObject: ["status": "not ready", "reason": reason])) ?? Data()
        return .json(503, body)
    }
}
