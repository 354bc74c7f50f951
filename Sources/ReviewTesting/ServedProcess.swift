import Foundation
import NIOConcurrencyHelpers

/// A function executable running in serve mode (`PORT=0`), its port read from the log line it
/// writes once it listens. Stopped by its PID with `stop()`.
package final class ServedProcess: Sendable {
    private let process: ChildProcess
    package let port: Int
    /// Everything it wrote to stderr up to the moment it listened.
    package let startupLog: String

    private init(process: ChildProcess, port: Int, startupLog: String) {
        self.process = process
        self.port = port
        self.startupLog = startupLog
    }

    /// Starts `executable` (through `prefix`, e.g. `["/usr/bin/prlimit", "--nofile=256"]`) and
    /// returns once it has said where it listens; throws with its output if it exits first.
    package static func start(
        _ executable: URL, arguments: [String] = ["serve"], prefix: [String] = [], environment: [String: String]
    ) async throws -> ServedProcess {
        try await onOwnThread {
            var env = environment
            env["PORT"] = "0"
            let command = prefix.isEmpty ? [executable.path] + arguments : prefix + [executable.path] + arguments
            let process = try ChildProcess.spawn(command[0], arguments: Array(command.dropFirst()), environment: env, stderr: .pipe)
            var log = ""
            let reader = process.stderr!
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                log += String(decoding: chunk, as: UTF8.self)
                if let port = Self.listeningPort(in: log) {
                    // Keep draining stderr so the child never blocks on a full pipe (on a thread of its
                    // own: a blocked read must not hold a thread of the global dispatch pool).
                    Thread.detachNewThread { while !reader.availableData.isEmpty {} }
                    return ServedProcess(process: process, port: port, startupLog: log)
                }
            }
            let status = process.wait()
            throw RawConnectionError("\(executable.lastPathComponent) exited (\(status)) before listening: \(log)")
        }
    }

    /// The port of a `serving on HOST:PORT` log line.
    static func listeningPort(in log: String) -> Int? {
        guard let range = log.range(of: "serving on ") else { return nil }
        let rest = log[range.upperBound...]
        guard let colon = rest.lastIndex(of: ":", before: rest.firstIndex(where: { $0 == "\"" || $0 == "\n" }) ?? rest.endIndex) else { return nil }
        return Int(rest[rest.index(after: colon)...].prefix { $0.isNumber })
    }

    /// Sends `signal` without waiting.
    package func send(_ signal: Int32) { process.send(signal) }

    /// Waits for the process to exit; its exit status.
    package func waitForExit() async -> Int32 {
        let process = self.process
        return (try? await onOwnThread { process.wait() }) ?? -1
    }

    package func stop() async {
        send(SIGTERM)
        _ = await waitForExit()
    }
}

extension Substring {
    fileprivate func lastIndex(of character: Character, before end: Index) -> Index? {
        self[..<end].lastIndex(of: character)
    }
}
