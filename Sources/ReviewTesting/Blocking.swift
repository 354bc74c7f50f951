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
