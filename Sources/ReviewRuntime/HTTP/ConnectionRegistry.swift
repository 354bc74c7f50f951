import NIOConcurrencyHelpers
import NIOCore

/// Every open connection of one `HTTPServer`, with what it is doing, and the body bytes held in
/// memory across all of them: the two things a crowd of strangers could exhaust.
final class ConnectionRegistry: Sendable {
    enum Phase: Sendable {
        /// No request under way: may be closed to make room.
        case idle
        /// A request is arriving: may be closed to make room (a slow sender is no reason to refuse others).
        case reading
        /// The handler is working on a request: never closed to make room.
        case busy
    }

    private struct Entry {
        let channel: any Channel
        var phase: Phase
        var since: NIODeadline
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var bodyBytes = 0
    }

    private let state = NIOLockedValueBox(State())
    let limits: HTTPServerLimits

    init(limits: HTTPServerLimits) {
        self.limits = limits
    }

    var openConnections: Int { state.withLockedValue { $0.entries.count } }

    /// Registers `channel`; at the cap, closes the connection idle (then reading) longest. False when
    /// every connection is busy, and `channel` should be refused.
    func admit(_ channel: any Channel) -> Bool {
        let (admitted, evicted) = state.withLockedValue { state -> (Bool, (any Channel)?) in
            var evicted: (any Channel)?
            if state.entries.count >= limits.maxConnections {
                let candidates = state.entries.filter { $0.value.phase != .busy }
                let oldest = candidates.min { lhs, rhs in
                    (lhs.value.phase == .idle ? 0 : 1, lhs.value.since) < (rhs.value.phase == .idle ? 0 : 1, rhs.value.since)
                }
                guard let oldest else { return (false, nil) }
                state.entries[oldest.key] = nil
                evicted = oldest.value.channel
            }
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, phase: .idle, since: .now())
            return (true, evicted)
        }
        evicted?.close(promise: nil)
        return admitted
    }

    func remove(_ channel: any Channel) {
        _ = state.withLockedValue { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func set(_ channel: any Channel, _ phase: Phase) {
        state.withLockedValue { state in
            let key = ObjectIdentifier(channel)
            guard state.entries[key] != nil else { return }
            state.entries[key]?.phase = phase
            state.entries[key]?.since = .now()
        }
    }

    /// Takes `count` bytes of the shared body budget; false (nothing taken) when it would run over.
    func reserveBody(_ count: Int) -> Bool {
        state.withLockedValue { state in
            guard state.bodyBytes + count <= limits.maxInFlightBodyBytes else { return false }
            state.bodyBytes += count
            return true
        }
    }

    func releaseBody(_ count: Int) {
        guard count > 0 else { return }
        state.withLockedValue { $0.bodyBytes = max(0, $0.bodyBytes - count) }
    }
}
