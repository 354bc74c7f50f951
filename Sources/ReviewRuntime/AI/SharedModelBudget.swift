import Crypto
import Foundation
import ReviewCore
import Synchronization

/// The model as a budget the whole deployment shares: its rate limits belong to the API key, not
/// to a job. Every call of a process goes through one `SharedModelBudget`, which
/// - runs at most `maxConcurrentCalls` calls at once in the process (`LLM_MAX_CONCURRENT_CALLS`);
/// - before a call, reads in one round trip the deployment's model circuit and a stored answer to
///   the same prompt: a job retried after a rate limit reuses every call that had succeeded, so no
///   token is thrown away;
/// - after a 429, 529 or "overloaded", opens the circuit in Redis for the announced time: no
///   worker of the deployment calls the model until then. A call waits in place for a short limit
///   (up to `longestWaitInCall`, the job's heartbeat keeps its lease) and tries again; for a longer
///   one it throws `model_rate_limited`, and the job waits in the queue without spending an attempt.
public final class SharedModelBudget: Sendable {
    let redis: RedisREST?
    let prefix: String
    let clock: WallClock
    let gate: CallGate
    /// How long a call waits in place for the model's limit before leaving it to the queue.
    public let longestWaitInCall: TimeInterval
    /// How long an answer is kept for a retried job (the queue's longest wait for limits).
    public let answerLifetime: TimeInterval

    /// - Parameter redis: where the circuit and the answers are shared; nil keeps both in the process only.
    public init(
        redis: RedisREST?, prefix: String, clock: WallClock = .system, maxConcurrentCalls: Int = 4, longestWaitInCall: TimeInterval = 30,
        answerLifetime: TimeInterval = 6 * 3600
    ) {
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
        gate = CallGate(slots: max(1, maxConcurrentCalls))
        self.longestWaitInCall = longestWaitInCall
        self.answerLifetime = answerLifetime
    }

    /// The budget of a queue's deployment (its keys share the queue's hash tag).
    public convenience init(queue: RedisJobQueue, clock: WallClock = .system, maxConcurrentCalls: Int = 4) {
        self.init(
            redis: queue.redis, prefix: queue.prefix, clock: clock, maxConcurrentCalls: maxConcurrentCalls, answerLifetime: queue.settings.longestLimitWait)
    }

    var circuitKey: String { prefix + "model:until" }

    /// `provider` with every call under this budget.
    public func wrap(_ provider: any ChatProvider) -> any ChatProvider { BudgetedProvider(inner: provider, budget: self) }

    /// Opens the circuit until `until` (a later end wins).
    func open(until: Date) async {
        guard let redis else { return }
        let ms = String(Int64(until.timeIntervalSince1970 * 1000))
        _ = try? await redis.eval(Self.openCircuit, keys: [circuitKey], args: [ms, String(Int64(clock.now().timeIntervalSince1970 * 1000))])
    }

    /// The circuit's end (if open) and a stored answer to `key`, in one round trip.
    func lookup(_ key: String) async -> (until: Date?, answer: ProviderAnswer?) {
        guard let redis, let reply = try? await redis.send(["MGET", circuitKey, prefix + "answer:" + key]) else { return (nil, nil) }
        let values = reply.array
        let until = values.first?.string.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
        let answer = values.dropFirst().first?.string.flatMap { try? JSONDecoder().decode(StoredAnswer.self, from: Data($0.utf8)).answer }
        return (until.flatMap { $0 > clock.now() ? $0 : nil }, answer)
    }

    /// Keeps an answer for a retried job.
    func store(_ answer: ProviderAnswer, key: String) async {
        guard let redis, let data = try? JSONEncoder().encode(StoredAnswer(answer)) else { return }
        _ = try? await redis.send(["SET", prefix + "answer:" + key, String(decoding: data, as: UTF8.self), "PX", String(Int64(answerLifetime * 1000))])
    }

    /// KEYS: circuit. ARGV: until ms, now ms. Moves the circuit's end later, never sooner.
    static let openCircuit = RedisScript(
        name: "openModelCircuit",
        source: """
            local current = tonumber(redis.call('GET', KEYS[1]) or '0')
            if tonumber(ARGV[1]) > current then
              redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(1, tonumber(ARGV[1]) - tonumber(ARGV[2])))
            end
            return 1
            """)

    /// An answer as it is stored.
    struct StoredAnswer: Codable {
        var text: String
        var refusal: String?
        var cutOff: Bool
        var usage: ModelUsage

        init(_ answer: ProviderAnswer) {
            text = answer.text
            usage = answer.usage
            cutOff = answer.stop == .length
            if case .refusal(let reason) = answer.stop { refusal = reason }
        }

        var answer: ProviderAnswer {
            ProviderAnswer(text: text, stop: refusal.map(StopKind.refusal) ?? (cutOff ? .length : .complete), usage: usage)
        }
    }
}

/// A provider whose calls go through a `SharedModelBudget`.
struct BudgetedProvider: ChatProvider {
    let inner: any ChatProvider
    let budget: SharedModelBudget

    var name: String { inner.name }
    var model: String { inner.model }

    /// How many times one call meets the limit in place before it is left to the queue.
    static let triesInCall = 8

    func complete(system: String, user: String, schema: ResponseSchema) async throws -> ProviderAnswer {
        let key = SHA256.hash(data: Data([name, model, "\(schema)", system, user].joined(separator: "\u{0}").utf8)).hexString
        for _ in 0..<Self.triesInCall {
            let (until, stored) = await budget.lookup(key)
            if let stored { return stored }
            if let until {
                try await waitOrLeave(until.timeIntervalSince(budget.clock.now()))
                continue
            }
            do {
                let answer = try await budget.gate.run { try await inner.complete(system: system, user: user, schema: schema) }
                await budget.store(answer, key: key)
                return answer
            } catch let error as ReviewError where error.code == .modelRateLimited {
                let wait = error.retryAfter ?? 30
                await budget.open(until: budget.clock.now().addingTimeInterval(wait))
                try await waitOrLeave(wait, error)
            }
        }
        throw ReviewError(.modelRateLimited, "\(name) stayed rate limited through \(Self.triesInCall) waits", retryAfter: budget.longestWaitInCall)
    }

    /// Waits a short limit out here; a longer one is the queue's to wait.
    private func waitOrLeave(_ seconds: TimeInterval, _ error: ReviewError? = nil) async throws {
        guard seconds <= budget.longestWaitInCall else {
            throw error ?? ReviewError(.modelRateLimited, "\(name)'s rate limit lasts \(Int(seconds.rounded(.up))) s more", retryAfter: seconds)
        }
        try await budget.clock.sleep(max(0.001, seconds))
    }
}

/// At most `slots` calls at once; the rest wait their turn in order.
final class CallGate: Sendable {
    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(slots: Int) { state = Mutex(State(free: slots)) }

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if now { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
