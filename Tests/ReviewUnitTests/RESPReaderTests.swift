import Foundation
import NIOCore
import NIOPosix
import ReviewRuntime
import ReviewTesting
import Testing

@testable import RedisBridge

/// The RESP reader reads each byte once however replies are split, and a reply that never comes
/// fails the connection instead of hanging it.
@Suite struct RESPReaderTests {
    static let stream = Array(
        ("+OK\r\n-ERR bad\r\n:-42\r\n$-1\r\n*-1\r\n*0\r\n$5\r\na\r\nbc\r\n"
            + "*3\r\n:1\r\n*2\r\n$0\r\n\r\n*1\r\n+deep\r\n$3\r\nend\r\n").utf8)
    static let expected: [RESPValue] = [
        .simple("OK"), .error("ERR bad"), .integer(-42), .bulk(nil), .array(nil), .array([]), .bulk(Array("a\r\nbc".utf8)),
        .array([.integer(1), .array([.bulk([]), .array([.simple("deep")])]), .bulk(Array("end".utf8))]),
    ]

    /// Feeds `bytes` in pieces of `size` and collects every reply.
    static func read(_ bytes: [UInt8], piecesOf size: Int) throws -> [RESPValue] {
        var reader = RESPReader()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        var offset = 0
        while offset < bytes.count {
            buffer.writeBytes(bytes[offset..<min(offset + size, bytes.count)])
            offset += size
            while let value = try reader.read(&buffer) { values.append(value) }
        }
        #expect(buffer.readableBytes == 0 && reader.isIdle)
        return values
    }

    @Test(arguments: [1, 2, 3, 7, 1000])
    func anySplitGivesTheSameReplies(pieceSize: Int) throws {
        #expect(try Self.read(Self.stream, piecesOf: pieceSize) == Self.expected)
    }

    @Test func aLargeArrayArrivingInChunksIsReadWhole() throws {
        let count = 150_000
        var bytes = Array("*\(count)\r\n".utf8)
        for index in 0..<count { bytes += Array("$6\r\n\(String(format: "%06d", index))\r\n".utf8) }
        let values = try Self.read(bytes, piecesOf: 65_536)
        guard case .array(let items?) = values.first, values.count == 1 else { Issue.record("\(values.count) values"); return }
        #expect(items.count == count)
        #expect(items.last == .bulk(Array("149999".utf8)))
    }

    @Test(arguments: [
        ("?1\r\n", "reply type byte 63"),
        ("$3\r\nabcXY", "bulk string not ended by CR LF"),
        ("$-2\r\n", "bulk length '-2'"),
        (":12x\r\n", "integer '12x'"),
        ("+no carriage return\n", "a line not ended by CR LF"),
    ])
    func malformedRepliesNameWhatIsWrong(input: String, reason: String) {
        #expect(throws: RESPReader.ProtocolError(reason: reason)) { _ = try Self.read(Array(input.utf8), piecesOf: 4) }
    }

    @Test func boundlessLinesAndNestingAreRefused() {
        let long = Array("+".utf8) + Array(repeating: UInt8(ascii: "a"), count: RESPReader.maxLineBytes + 10)
        #expect(throws: RESPReader.ProtocolError.self) { _ = try Self.read(long, piecesOf: 4096) }
        let deep = Array(String(repeating: "*1\r\n", count: RESPReader.maxDepth + 1).utf8) + Array(":1\r\n".utf8)
        #expect(throws: RESPReader.ProtocolError(reason: "arrays nested deeper than 64")) { _ = try Self.read(deep, piecesOf: 64) }
    }

    /// A server that accepts and reads but never answers, as redis-server does after `CLIENT REPLY OFF`.
    static func silentServer(_ group: MultiThreadedEventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    @Test func aReplyThatNeverComesFailsTheConnection() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await Self.silentServer(group)
        let connection = RedisConnection(address: .tcp(host: "127.0.0.1", port: server.localAddress!.port!), group: group, replyTimeout: .milliseconds(200))
        await #expect(throws: RedisReplyTimeout.self) { _ = try await connection.send([[Array("PING".utf8)]]) }
        // The closed connection is opened again for the next command (which also meets silence).
        await #expect(throws: RedisReplyTimeout.self) { _ = try await connection.send([[Array("PING".utf8)]]) }
        await connection.close()
        try await server.close()
        try await group.shutdownGracefully()
    }
}
