import Foundation
import ReviewCore

/// `GET /queue/depth` in serve mode: the queue's depth (`QueueDepth`) as JSON — what a KEDA
/// `metrics-api` trigger polls (`valueLocation: unfinished`). Access as for `/metrics`: a caller
/// holding `METRICS_TOKEN`, or any caller when serving on loopback.
///
/// An empty queue is remembered: while the last look found nothing unfinished and this process has
/// been invoked by nothing since (`invoked()`: a delivery, a kick), the answer comes from memory
/// for up to `remember` (an hour), so a poller costs an idle deployment at most one Redis call an
/// hour. A delivery to another replica is seen when the poller next reaches that one, or within
/// the hour.
public actor QueueDepthEndpoint {
    private let token: String?
    private let host: String
    private let remember: TimeInterval
    private let clock: WallClock
    /// The last depth read that found nothing unfinished, and when.
    private var empty: (depth: QueueDepth, at: Date)?

    public init(token: String?, host: String, remember: TimeInterval = 3600, clock: WallClock = .system) {
        self.token = token
        self.host = host
        self.remember = remember
        self.clock = clock
    }

    /// The process was invoked: the queue may have changed.
    public func invoked() { empty = nil }

    public func answer<Handler: FunctionHandler>(_ request: HTTPRequest, handler: Handler) async -> HTTPResponse {
        if let refused = HTTPAccess.operatorRefusal(request, token: token, host: host) { return refused }
        let now = clock.now()
        if let empty, now.timeIntervalSince(empty.at) < remember { return Self.json(empty.depth, remembered: true) }
        do {
            guard let depth = try await handler.queueDepth() else {
                return ErrorAnswer(ReviewError(.badInput, "this function has no queue")).http
            }
            empty = depth.unfinished == 0 ? (depth, now) : nil
            return Self.json(depth, remembered: false)
        } catch {
            return ErrorAnswer(error).http
        }
    }

    private static func json(_ depth: QueueDepth, remembered: Bool) -> HTTPResponse {
        var response = HTTPResponse.json(200, (try? JSONEncoder.iso.encode(depth)) ?? Data())
        response.headers["x-depth-from"] = remembered ? "memory" : "queue"
        return response
    }
}
