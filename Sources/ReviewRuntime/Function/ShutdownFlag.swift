import NIOConcurrencyHelpers

/// A one-way switch a shutting-down process flips, read by whoever should stop starting new work.
public final class ShutdownFlag: Sendable {
    private let value = NIOLockedValueBox(false)

    public init() {}

    public var isSet: Bool { value.withLockedValue { $0 } }

    public func set() { value.withLockedValue { $0 = true } }
}
