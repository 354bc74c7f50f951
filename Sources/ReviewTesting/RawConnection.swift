import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a loopback port, for tests that must misbehave as a peer would:
/// connect and say nothing, send half a request, send garbage. Blocking calls; run them with
/// `onOwnThread`. Every read has a guard time, so a server that never answers fails the test
/// instead of hanging it.
package final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    package init(port: Int, guardSeconds: Int = 60) throws {
        #if canImport(Glibc)
        let socketType = Int32(SOCK_STREAM.rawValue)
        #else
        let socketType = SOCK_STREAM
        #endif
        descriptor = socket(AF_INET, socketType, 0)
        guard descriptor >= 0 else { throw RawConnectionError("socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: guardSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw RawConnectionError("connect() to port \(port) failed: errno \(errno)")
        }
    }

    deinit { close(descriptor) }

    /// Sends all of `bytes`; false when the peer has closed the connection.
    @discardableResult
    package func send(_ bytes: Data) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    @discardableResult
    package func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    /// Reads until the peer closes (true) or the guard time passes (false), returning what came.
    package func readUntilClosed() -> (data: Data, closed: Bool) {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { data.append(contentsOf: buffer[0..<count]); continue }
            // 0: orderly close; ECONNRESET: closed too; EAGAIN: the guard time passed.
            return (data, count == 0 || errno == ECONNRESET)
        }
    }

    /// Reads until `marker` has arrived (true), the peer closes or the guard time passes (false).
    package func read(until marker: String) -> (text: String, found: Bool) {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let text = String(decoding: data, as: UTF8.self)
            if text.contains(marker) { return (text, true) }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return (text, false) }
            data.append(contentsOf: buffer[0..<count])
        }
    }
}

package struct RawConnectionError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
