import NIOCore

/// A RESP2 reply from redis-server.
package indirect enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    case bulk([UInt8]?)
    case array([RESPValue]?)
}

/// Reads RESP2 replies incrementally: every byte is looked at once, however the reply is split
/// over reads, so a 15 MB reply costs the same as fifteen 1 MB ones. Arrays in progress are kept on a
/// stack between reads instead of being parsed again from their start.
struct RESPReader {
    struct ProtocolError: Error, Equatable {
        let reason: String
    }

    /// Longest status, error, integer or length line accepted (Redis writes short ones).
    static let maxLineBytes = 64 * 1024
    /// Redis' own `proto-max-bulk-len` default.
    static let maxBulkBytes = 512 * 1024 * 1024
    static let maxDepth = 64
    private static let types: Set<UInt8> = Set("+-:$*".utf8)

    private struct OpenArray {
        var remaining: Int
        var items: [RESPValue]
    }

    private var open: [OpenArray] = []
    /// The length of a bulk string whose header was read and whose bytes have not all arrived.
    private var pendingBulk: Int?
    /// How far the current line has already been searched for its CR LF.
    private var searched = 0

    var isIdle: Bool { open.isEmpty && pendingBulk == nil }

    /// The next complete reply, or nil when more bytes are needed (what was read is kept).
    mutating func read(_ buffer: inout ByteBuffer) throws(ProtocolError) -> RESPValue? {
        while var value = try nextElement(&buffer) {
            while var parent = open.popLast() {
                parent.items.append(value)
                parent.remaining -= 1
                if parent.remaining > 0 {
                    open.append(parent)
                    break
                }
                value = .array(parent.items)
            }
            if open.isEmpty { return value }
        }
        return nil
    }

    /// One complete non-array value or empty/nil array; an array header is pushed and reading goes on.
    private mutating func nextElement(_ buffer: inout ByteBuffer) throws(ProtocolError) -> RESPValue? {
        while true {
            if let length = pendingBulk {
                guard buffer.readableBytes >= length + 2, let bytes = buffer.readBytes(length: length) else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw ProtocolError(reason: "bulk string not ended by CR LF") }
                pendingBulk = nil
                return .bulk(bytes)
            }
            guard let (type, text) = try line(&buffer) else { return nil }
            switch type {
            case UInt8(ascii: "+"): return .simple(text)
            case UInt8(ascii: "-"): return .error(text)
            case UInt8(ascii: ":"):
                guard let number = Int(text) else { throw ProtocolError(reason: "integer '\(text.prefix(32))'") }
                return .integer(number)
            case UInt8(ascii: "$"):
                guard let length = Int(text), length >= -1, length <= Self.maxBulkBytes else {
                    throw ProtocolError(reason: "bulk length '\(text.prefix(32))'")
                }
                if length == -1 { return .bulk(nil) }
                pendingBulk = length
            case UInt8(ascii: "*"):
                guard let count = Int(text), count >= -1 else { throw ProtocolError(reason: "array length '\(text.prefix(32))'") }
                if count == -1 { return .array(nil) }
                if count == 0 { return .array([]) }
                guard open.count < Self.maxDepth else { throw ProtocolError(reason: "arrays nested deeper than \(Self.maxDepth)") }
                var items: [RESPValue] = []
                items.reserveCapacity(min(count, 4096))
                open.append(OpenArray(remaining: count, items: items))
            default:
                throw ProtocolError(reason: "reply type byte \(type)")  // not reached: line() checks the type
            }
        }
    }

    /// The type byte and text of the next CR LF-ended line, consumed; nil (nothing consumed) until it is complete.
    private mutating func line(_ buffer: inout ByteBuffer) throws(ProtocolError) -> (UInt8, String)? {
        let view = buffer.readableBytesView
        guard let type = view.first else { return nil }
        guard Self.types.contains(type) else { throw ProtocolError(reason: "reply type byte \(type)") }
        var index = view.startIndex + searched
        while index < view.endIndex, view[index] != UInt8(ascii: "\n") { index += 1 }
        guard index < view.endIndex else {
            searched = view.count
            if searched > Self.maxLineBytes { throw ProtocolError(reason: "a line longer than \(Self.maxLineBytes) bytes") }
            return nil
        }
        let length = index - view.startIndex + 1
        searched = 0
        guard length >= 3, view[index - 1] == UInt8(ascii: "\r"), buffer.readInteger(as: UInt8.self) == type,
            let text = buffer.readString(length: length - 3)
        else {
            throw ProtocolError(reason: "a line not ended by CR LF")
        }
        buffer.moveReaderIndex(forwardBy: 2)
        return (type, text)
    }
}

/// The reader as a NIO decoder.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue
    private var reader = RESPReader()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let value = try reader.read(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
