import Foundation
import Logging
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// A clock the test moves by hand, so leases expire and backoffs pass without waiting.
public final class ManualClock: Sendable {
    private let current: NIOLockedValueBox<Date>

    public init(_ start: Date = Date()) { current = NIOLockedValueBox(start) }

    public var now: Date { current.withLockedValue { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLockedValue { $0 += seconds } }
    public func set(_ date: Date) { current.withLockedValue { $0 = date } }
    public var closure: @Sendable () -> Date { { self.now } }
}

/// A processor whose behaviour the test scripts, recording every call.
public final class ScriptedProcessor: JobProcessor {
    public typealias Script = @Sendable (ReviewJob, Int) async throws -> Data
    private let script: Script
    private let calls = NIOLockedValueBox<[(jobId: String, attempt: Int)]>([])

    public init(_ script: @escaping Script = { _, _ in Data("{}".utf8) }) { self.script = script }

    public var processed: [(jobId: String, attempt: Int)] { calls.withLockedValue { $0 } }

    public func process(_ job: ReviewJob, attempt: Int, logger: Logger) async throws -> Data {
        calls.withLockedValue { $0.append((job.id, attempt)) }
        return try await script(job, attempt)
    }
}

/// Review jobs for tests: distinct pull requests of one repository.
public enum SampleJobs {
    public static func job(pr: Int, head: String? = nil, delivery: String? = nil, at date: Date = Date()) -> ReviewJob {
        let sha = head ?? String(repeating: String(pr % 10), count: 40)
        return ReviewJob(
            owner: "octo-org", repo: "app", prNumber: pr, installationId: 42, headSha: sha,
            baseSha: String(repeating: "b", count: 40), kind: .full, deliveryId: delivery ?? "delivery-\(pr)-\(sha.prefix(6))", enqueuedAt: date
        )
    }
}

public extension Logger {
    /// A logger that drops everything (tests assert on results, not logs).
    static let quiet: Logger = {
        var logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        logger.logLevel = .critical
        return logger
    }()
}
