import Foundation
import Prometheus
import ReviewCore

/// `GET /metrics` in serve mode: the Prometheus text format of everything recorded, the queue's
/// gauges refreshed first. Strangers reach any port a platform exposes, so it answers only a
/// caller holding `METRICS_TOKEN` — or, without a token, only when serving on loopback (where a
/// sidecar collector scrapes it).
public struct MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let token: String?
    public let host: String

    public init(registry: PrometheusCollectorRegistry, token: String?, host: String) {
        self.registry = registry
        self.token = token
        self.host = host
    }

    public func answer<Handler: FunctionHandler>(_ request: HTTPRequest, handler: Handler) async -> HTTPResponse {
        if let refused = HTTPAccess.operatorRefusal(request, token: token, host: host) { return refused }
        if let stats = await handler.queueStats() { ReviewMetrics.queue(stats) }
        return HTTPResponse(status: 200, headers: ["content-type": "text/plain; version=0.0.4; charset=utf-8"], body: Data(registry.emitToString().utf8))
    }
}
