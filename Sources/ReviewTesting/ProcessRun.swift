import Foundation

/// Runs a program to completion with the given stdin and environment; returns what it printed.
package struct ProcessRun: Sendable {
    package let exitCode: Int32
    package let stdout: Data
    package let stderr: Data

    package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    package var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// Runs on a thread of its own (see `onOwnThread`).
    package static func run(_ executable: URL, arguments: [String] = [], stdin: Data = Data(), environment: [String: String]) async throws -> ProcessRun {
        try await onOwnThread { try runBlocking(executable, arguments: arguments, stdin: stdin, environment: environment) }
    }

    package static func runBlocking(_ executable: URL, arguments: [String] = [], stdin: Data = Data(), environment: [String: String]) throws -> ProcessRun {
        let child = try ChildProcess.spawn(executable.path, arguments: arguments, environment: environment, stdin: .pipe, stdout: .pipe, stderr: .pipe)
        let collector = OutputCollector(output: child.stdout!, errors: child.stderr!)
        child.stdin?.write(stdin)
        try? child.stdin?.close()
        let (out, err) = collector.wait()
        return ProcessRun(exitCode: child.wait(), stdout: out, stderr: err)
    }
}

/// Reads stdout and stderr on threads of their own so neither pipe can fill up and block the child.
private final class OutputCollector: @unchecked Sendable {
    private var out = Data(), err = Data()
    private let group = DispatchGroup()

    init(output: FileHandle, errors: FileHandle) {
        group.enter()
        group.enter()
        // Threads of their own: a read that blocks on a global dispatch queue holds one of its few
        // threads, and whatever else runs on that pool then waits behind it.
        Thread.detachNewThread {
            self.out = output.readDataToEndOfFile(); self.group.leave()
        }
        Thread.detachNewThread {
            self.err = errors.readDataToEndOfFile(); self.group.leave()
        }
    }

    func wait() -> (Data, Data) {
        group.wait()
        return (out, err)
    }
}
