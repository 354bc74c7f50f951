import Foundation
import Logging
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// A clock the test moves by hand, so leases expire and backoffs pass without waiting. Its
/// `wallClock` sleeps until the test moves the time past the wake-up (or the task is cancelled):
/// nothing wakes on its own, so heartbeats and patient waits happen exactly when a test says.
package final class ManualClock: Sendable {
    private struct Sleeper {
        var seconds: TimeInterval
        var wake: Date
        var continuation: CheckedContinuation<Void, any Error>?
        var cancelled = false
    }

    private struct State {
        var now: Date
        var nextId = 0
        var sleepers: [Int: Sleeper] = [:]
        var watchers: [(matches: @Sendable (TimeInterval) -> Bool, continuation: CheckedContinuation<TimeInterval, Never>)] = []
    }

    private let state: NIOLockedValueBox<State>

    package init(_ start: Date = Date()) { state = NIOLockedValueBox(State(now: start)) }

    package var now: Date { state.withLockedValue { $0.now } }
    package func advance(by seconds: TimeInterval) { set(now + seconds) }
    package var wallClock: WallClock { WallClock(now: { self.now }, sleep: { try await self.sleep($0) }) }

    /// Moves the time and wakes every sleeper whose wake-up has come.
    package func set(_ date: Date) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, any Error>] in
            state.now = date
            let due = state.sleepers.filter { $0.value.wake <= date && $0.value.continuation != nil }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.compactMap(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Waits until some task sleeps on this clock for a duration `matches` accepts (one already
    /// asleep counts), and returns that duration.
    package func sleeper(where matches: @escaping @Sendable (TimeInterval) -> Bool = { _ in true }) async -> TimeInterval {
        await withCheckedContinuation { continuation in
            let found = state.withLockedValue { state -> TimeInterval? in
                if let asleep = state.sleepers.values.first(where: { $0.continuation != nil && matches($0.seconds) }) { return asleep.seconds }
                state.watchers.append((matches, continuation))
                return nil
            }
            if let found { continuation.resume(returning: found) }
        }
    }

    private func sleep(_ seconds: TimeInterval) async throws {
        let id = state.withLockedValue { state in
            state.nextId += 1
            state.sleepers[state.nextId] = Sleeper(seconds: seconds, wake: state.now + seconds)
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Next { case wait, wake, cancel }
                let (next, watchers) = state.withLockedValue { state -> (Next, [CheckedContinuation<TimeInterval, Never>]) in
                    guard let sleeper = state.sleepers[id] else { return (.wake, []) }
                    if sleeper.cancelled { state.sleepers[id] = nil; return (.cancel, []) }
                    if sleeper.wake <= state.now { state.sleepers[id] = nil; return (.wake, []) }
                    state.sleepers[id]?.continuation = continuation
                    let told = state.watchers.filter { $0.matches(seconds) }.map(\.continuation)
                    state.watchers.removeAll { $0.matches(seconds) }
                    return (.wait, told)
                }
                for watcher in watchers { watcher.resume(returning: seconds) }
                switch next {
                case .wait: break
                case .wake: continuation.resume()
                case .cancel: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let continuation = state.withLockedValue { state -> CheckedContinuation<Void, any Error>? in
                guard let sleeper = state.sleepers[id] else { return nil }
                if let continuation = sleeper.continuation { state.sleepers[id] = nil; return continuation }
                state.sleepers[id]?.cancelled = true
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}

/// A processor whose behaviour the test scripts, recording every call.
package final class ScriptedProcessor: JobProcessor {
    package typealias Script = @Sendable (ReviewJob, Int) async throws -> Data
    private let script: Script
    private let calls = NIOLockedValueBox<[(jobId: String, attempt: Int)]>([])

    package init(_ script: @escaping Script = { _, _ in Data("{}".utf8) }) { self.script = script }

    package var processed: [(jobId: String, attempt: Int)] { calls.withLockedValue { $0 } }

    package func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data {
        calls.withLockedValue { $0.append((job.id, attempt)) }
        return try await script(job, attempt)
    }
}

/// Counts calls across tasks: the n-th call of a script, where the attempt number does not move
/// (a rate limit spends no attempt).
package final class CallCounter: Sendable {
    private let count = NIOLockedValueBox(0)

    package init() {}

    /// 1 on the first call, 2 on the next, …
    package func next() -> Int {
        count.withLockedValue {
            $0 += 1
            return $0
        }
    }

    /// The calls counted so far.
    package var value: Int { count.withLockedValue { $0 } }
}

/// Review jobs for tests: distinct pull requests of one repository.
package enum SampleJobs {
    package static func job(pr: Int, head: String? = nil, delivery: String? = nil, at date: Date = Date(), installation: Int = 42) -> ReviewJob {
        let sha = head ?? String(repeating: String(pr % 10), count: 40)
        return ReviewJob(
            PullRequestRef(owner: installation == 42 ? "octo-org" : "org-\(installation)", repo: "app", number: pr, installationId: installation),
            .review(.init(head: sha, base: String(repeating: "b", count: 40))), deliveryId: delivery ?? "delivery-\(pr)-\(sha.prefix(6))", enqueuedAt: date)
    }
}

package extension Logger {
    /// A logger that drops everything (tests assert on results, not logs).
    static let quiet: Logger = {
        var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()
}

extension ReviewJob {
    /// The head a review job reviews ("" for a comment job): tests read it often.
    package var head: String { review?.head ?? "" }
}
