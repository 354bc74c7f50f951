import Foundation

/// The one clock a process runs on: what time it is, and how to wait. Each executable makes one
/// (`.system`) and hands the same value to everything that reads the time or waits, so the
/// drainer, the reviewer and the GitHub client never disagree; tests hand in a clock they move.
public struct WallClock: Sendable {
    public var now: @Sendable () -> Date
    /// Waits this many seconds (or until the task is cancelled, throwing `CancellationError`).
    public var sleep: @Sendable (TimeInterval) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (TimeInterval) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The machine's clock and real waiting.
    public static let system = WallClock(now: Date.init, sleep: { try await Task.sleep(for: .seconds(max(0, $0))) })
}
