import CoreMetrics
import Foundation
import NIOConcurrencyHelpers

/// A swift-metrics backend for AWS Lambda that needs no agent and no dependency: it keeps what
/// was recorded during an invocation and, on `flush`, writes it as CloudWatch Embedded Metric
/// Format lines — log lines CloudWatch Logs turns into metrics (namespace `pr-review`, the
/// function's name and the metric's labels as dimensions). Counters report what they gained since
/// the last flush, gauges their last value, timers every duration (in milliseconds).
public final class EMFMetricsFactory: MetricsFactory, Sendable {
    public let namespace: String
    public let function: String
    private let state = NIOLockedValueBox([Key: Series]())

    struct Key: Hashable {
        var label: String
        var dimensions: [String]
    }

    enum Kind { case count, gauge, milliseconds }

    struct Series {
        var kind: Kind
        var dimensions: [(String, String)]
        var total: Double = 0
        var values: [Double] = []
        var touched = false
    }

    public init(namespace: String = "pr-review", function: String) {
        self.namespace = namespace
        self.function = function
    }

    private func handler(_ label: String, _ dimensions: [(String, String)], _ kind: Kind) -> Handler {
        let key = Key(label: label, dimensions: dimensions.map { "\($0.0)=\($0.1)" })
        state.withLockedValue { if $0[key] == nil { $0[key] = Series(kind: kind, dimensions: dimensions) } }
        return Handler(factory: self, key: key)
    }

    func update(_ key: Key, _ change: (inout Series) -> Void) {
        state.withLockedValue { series in
            guard var entry = series[key] else { return }
            change(&entry)
            entry.touched = true
            series[key] = entry
        }
    }

    /// The EMF lines for everything recorded since the last flush (counters start again from zero).
    public func flush(at date: Date = Date()) -> [String] {
        let taken = state.withLockedValue { series -> [(Key, Series)] in
            let touched = series.filter(\.value.touched)
            for key in touched.keys {
                guard var entry = series[key] else { continue }
                entry.touched = false
                if entry.kind != .gauge { entry.total = 0 }
                entry.values = []
                series[key] = entry
            }
            return touched.sorted { ($0.key.label, $0.key.dimensions.joined()) < ($1.key.label, $1.key.dimensions.joined()) }
        }
        return taken.compactMap { key, series in
            let unit = series.kind == .milliseconds ? "Milliseconds" : series.kind == .count ? "Count" : "None"
            var document: [String: Any] = [
                "_aws": [
                    "Timestamp": Int64(date.timeIntervalSince1970 * 1000),
                    "CloudWatchMetrics": [
                        [
                            "Namespace": namespace, "Dimensions": [["function"] + series.dimensions.map(\.0)],
                            "Metrics": [["Name": key.label, "Unit": unit]],
                        ]
                    ],
                ],
                "function": function,
            ]
            for (name, value) in series.dimensions { document[name] = value }
            document[key.label] = series.kind == .milliseconds ? series.values as Any : series.total as Any
            guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
    }

    final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, MeterHandler, TimerHandler, Sendable {
        let factory: EMFMetricsFactory
        let key: Key

        init(factory: EMFMetricsFactory, key: Key) {
            self.factory = factory
            self.key = key
        }

        func increment(by amount: Int64) { factory.update(key) { $0.total += Double(amount) } }
        func increment(by amount: Double) { factory.update(key) { $0.total += amount } }
        func reset() { factory.update(key) { $0.total = 0 } }
        func record(_ value: Int64) { factory.update(key) { $0.total = Double(value) } }
        func record(_ value: Double) { factory.update(key) { $0.total = value } }
        func set(_ value: Int64) { record(value) }
        func set(_ value: Double) { record(value) }
        func decrement(by amount: Double) { factory.update(key) { $0.total -= amount } }
        func recordNanoseconds(_ duration: Int64) { factory.update(key) { $0.values.append(Double(duration) / 1_000_000) } }
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { handler(label, dimensions, .count) }
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        handler(label, dimensions, .count)
    }
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler { handler(label, dimensions, .gauge) }
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler(label, dimensions, .gauge)
    }
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { handler(label, dimensions, .milliseconds) }
    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyMeter(_ handler: any MeterHandler) {}
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}
}
