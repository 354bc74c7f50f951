import Foundation

/// Runs blocking work (waiting for a process, reading a pipe) on a thread of its own, so it never
/// occupies one of the few threads Swift concurrency's cooperative pool has (2 on a 2-core machine).
package func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// A task executor on a serial queue of its own: async work run with it as preference
/// (`withTaskExecutorPreference`) never occupies one of the cooperative pool's few threads, however
/// long it runs between suspensions — a fuzz loop whose refusals never suspend, for one.
package final class OwnThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    package init(label: String) { queue = DispatchQueue(label: label) }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
