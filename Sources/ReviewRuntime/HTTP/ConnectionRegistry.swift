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

    fileprivate struct Entry {
        let channel: any Channel
        var phase: Phase
        var since: NIODeadline
    }

    fileprivate struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var bodyBytes = 0
        /// The body bytes each peer holds (only peers holding some).
        var peerBodyBytes: [String: Int] = [:]
        /// Shutting down: every response closes its connection.
        var draining = false
        /// Stopping: a request that completes from now on is answered 503, not handled.
        var stopping = false
        /// Waiting for the last busy connection to finish.
        var idleWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Connections admitted since the server started.
        var admitted = 0
        /// Waiting for what the registry has seen to reach a point (`waitUntil`).
        var waiters: [(condition: @Sendable (Seen) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
        var nextWaiter = 0
    }

    /// What the registry has seen so far, for `waitUntil`.
    struct Seen: Sendable {
        let admitted: Int
        let peerBodyBytes: [String: Int]
        /// Connections busy answering a request now.
        let busy: Int

        fileprivate init(_ state: State) {
            admitted = state.admitted
            peerBodyBytes = state.peerBodyBytes
            busy = state.entries.values.count { $0.phase == .busy }
        }
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
        let (admitted, evicted, met) = state.withLockedValue { state -> (Bool, (any Channel)?, [CheckedContinuation<Void, Never>]) in
            var evicted: (any Channel)?
            if state.entries.count >= limits.maxConnections {
                let candidates = state.entries.filter { $0.value.phase != .busy }
                let oldest = candidates.min { lhs, rhs in
                    (lhs.value.phase == .idle ? 0 : 1, lhs.value.since) < (rhs.value.phase == .idle ? 0 : 1, rhs.value.since)
                }
                guard let oldest else { return (false, nil, []) }
                state.entries[oldest.key] = nil
                evicted = oldest.value.channel
            }
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, phase: .idle, since: .now())
            state.admitted += 1
            return (true, evicted, Self.metWaiters(&state))
        }
        evicted?.close(promise: nil)
        met.forEach { $0.resume() }
        return admitted
    }

    func remove(_ channel: any Channel) {
        let waiters = state.withLockedValue { state in
            state.entries.removeValue(forKey: ObjectIdentifier(channel))
            return Self.takeWaitersIfIdle(&state)
        }
        waiters.forEach { $0.resume() }
    }

    var isDraining: Bool { state.withLockedValue { $0.draining } }
    var isStopping: Bool { state.withLockedValue { $0.stopping } }

    /// From now on requests are answered 503 without reaching the handler, and responses close their connections.
    func stopAccepting() {
        state.withLockedValue { state in
            state.draining = true
            state.stopping = true
        }
    }

    /// From now on responses close their connections; returns the connections with no request under way, to close now.
    func beginDraining() -> [any Channel] {
        state.withLockedValue { state in
            state.draining = true
            return state.entries.values.filter { $0.phase == .idle }.map(\.channel)
        }
    }

    /// Stopping: every connection, busy ones too, to close now.
    func stopAll() -> [any Channel] {
        state.withLockedValue { state in
            state.draining = true
            return state.entries.values.map(\.channel)
        }
    }

    /// Returns once no connection is busy answering a request, or when the waiting task is cancelled.
    func waitUntilNoneBusy() async {
        let id = state.withLockedValue { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLockedValue { state -> Bool in
                    guard !Task.isCancelled, state.entries.values.contains(where: { $0.phase == .busy }) else { return true }
                    state.idleWaiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.idleWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    private static func takeWaitersIfIdle(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard !state.idleWaiters.isEmpty, !state.entries.values.contains(where: { $0.phase == .busy }) else { return [] }
        defer { state.idleWaiters = [:] }
        return Array(state.idleWaiters.values)
    }

    func set(_ channel: any Channel, _ phase: Phase) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            let key = ObjectIdentifier(channel)
            guard state.entries[key] != nil else { return [] }
            state.entries[key]?.phase = phase
            state.entries[key]?.since = .now()
            return Self.takeWaitersIfIdle(&state) + Self.metWaiters(&state)
        }
        waiters.forEach { $0.resume() }
    }

    /// Takes `count` bytes of the shared body budget for `peer`; false (nothing taken) when it would
    /// run over the budget or the peer's share of it.
    func reserveBody(_ count: Int, peer: String) -> Bool {
        let (reserved, met) = state.withLockedValue { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            let held = state.peerBodyBytes[peer, default: 0]
            guard state.bodyBytes + count <= limits.maxInFlightBodyBytes, held + count <= limits.maxPeerInFlightBodyBytes else { return (false, []) }
            state.bodyBytes += count
            state.peerBodyBytes[peer] = held + count
            return (true, Self.metWaiters(&state))
        }
        met.forEach { $0.resume() }
        return reserved
    }

    private static func metWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard !state.waiters.isEmpty else { return [] }
        let seen = Seen(state)
        let met = state.waiters.filter { $0.condition(seen) }.map(\.continuation)
        state.waiters.removeAll { $0.condition(seen) }
        return met
    }

    /// Returns once what the registry has seen meets `condition` (a test waits so on events the
    /// server's event loops handle in no set order, instead of on time).
    func waitUntil(_ condition: @escaping @Sendable (Seen) -> Bool) async {
        await withCheckedContinuation { continuation in
            let now = state.withLockedValue { state -> Bool in
                guard !condition(Seen(state)) else { return true }
                state.waiters.append((condition, continuation))
                return false
            }
            if now { continuation.resume() }
        }
    }

    func releaseBody(_ count: Int, peer: String) {
        guard count > 0 else { return }
        state.withLockedValue { state in
            state.bodyBytes = max(0, state.bodyBytes - count)
            let left = state.peerBodyBytes[peer, default: 0] - count
            state.peerBodyBytes[peer] = left > 0 ? left : nil
        }
    }
}
