import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for tests and the demo helpers. Not Foundation's
/// `Process`: on Linux its `run()` over-reads `/proc/self/fd` entries and crashes now and then in a
/// suite that starts many processes (swift-corelibs-foundation #5472; seen here with Swift 6.3.1).
/// Only descriptors 0, 1 and 2 reach the child.
package final class ChildProcess: Sendable {
    /// Where one of the child's standard streams goes.
    package enum Stream: Sendable {
        /// `/dev/null`.
        case null
        /// A pipe whose other end the parent holds (`stdin`, `stdout`, `stderr` below).
        case pipe
        /// The same as the child's stdout (only for stderr).
        case stdout
    }

    package let pid: pid_t
    /// The parent's ends of the pipes asked for (nil otherwise).
    package let stdin: FileHandle?
    package let stdout: FileHandle?
    package let stderr: FileHandle?
    private let status = NIOLockedValueBox<Int32?>(nil)

    private init(pid: pid_t, stdin: FileHandle?, stdout: FileHandle?, stderr: FileHandle?) {
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Starts `executable` (an absolute path) with exactly `environment`.
    package static func spawn(
        _ executable: String, arguments: [String] = [], environment: [String: String], stdin: Stream = .null, stdout: Stream = .null,
        stderr: Stream = .null
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var childEnds: [Int32] = []
        defer { childEnds.forEach { close($0) } }
        var parentEnds: [Int32?] = [nil, nil, nil]
        do {
            for (target, stream) in [stdin, stdout, stderr].enumerated() {
                switch stream {
                case .null:
                    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
                    guard null >= 0 else { throw TestSetupError("cannot open /dev/null: errno \(errno)") }
                    childEnds.append(null)
                    posix_spawn_file_actions_adddup2(&actions, null, Int32(target))
                case .stdout:
                    posix_spawn_file_actions_adddup2(&actions, 1, Int32(target))
                case .pipe:
                    var fds: [Int32] = [-1, -1]
                    guard Self.cloexecPipe(&fds) else { throw TestSetupError("cannot make a pipe: errno \(errno)") }
                    // stdin: the child reads fds[0]; stdout/stderr: the child writes fds[1].
                    let (child, parent) = target == 0 ? (fds[0], fds[1]) : (fds[1], fds[0])
                    childEnds.append(child)
                    parentEnds[target] = parent
                    posix_spawn_file_actions_adddup2(&actions, child, Int32(target))
                }
            }
        } catch {
            parentEnds.compactMap(\.self).forEach { close($0) }
            throw error
        }
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The child starts with no signal blocked and every signal at its default, whatever the
        // spawning thread had (a test thread may block SIGTERM).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let result = spawnLock.withLock { posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        guard result == 0 else {
            parentEnds.compactMap(\.self).forEach { close($0) }
            throw TestSetupError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        func handle(_ fd: Int32?) -> FileHandle? { fd.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) } }
        return ChildProcess(pid: pid, stdin: handle(parentEnds[0]), stdout: handle(parentEnds[1]), stderr: handle(parentEnds[2]))
    }

    // glibc has these (2.34+), but its headers declare them only for _GNU_SOURCE, which Swift's
    // Glibc module is not built with: looked up by name.
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let pipe2 = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    private static let addCloseFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }
    private static let spawnLock = NIOLock()

    /// A pipe whose ends no other child inherits.
    private static func cloexecPipe(_ fds: inout [Int32]) -> Bool {
        if let pipe2 { return fds.withUnsafeMutableBufferPointer { pipe2($0.baseAddress!, O_CLOEXEC) } == 0 }
        return spawnLock.withLock {
            guard pipe(&fds) == 0 else { return false }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            return true
        }
    }

    /// Blocks until the child ends; its exit status, or 128 + the signal that ended it.
    @discardableResult
    package func wait() -> Int32 {
        if let known = status.withLockedValue({ $0 }) { return known }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        return record(raw)
    }

    /// Whether a signal ended the child (valid once it has ended).
    package var endedBySignal: Bool { (status.withLockedValue { $0 } ?? 0) > 128 }

    /// Sends `signal` to the child unless it has already been reaped.
    package func send(_ signal: Int32) {
        if status.withLockedValue({ $0 }) == nil { kill(pid, signal) }
    }

    @discardableResult
    private func record(_ raw: Int32) -> Int32 {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = raw & 0x7F
        let value = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        status.withLockedValue { $0 = value }
        return value
    }
}
