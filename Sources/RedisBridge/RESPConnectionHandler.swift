import NIOCore

/// Commands sent as one contiguous write (so a MULTI…EXEC batch is never interleaved), with one
/// promise per reply.
struct RESPBatch {
    var commands: [[[UInt8]]]
    var promises: [EventLoopPromise<RESPValue>]
}

/// redis-server sent no reply in time; the connection is closed so no later reply is paired wrongly.
package struct RedisReplyTimeout: Error, CustomStringConvertible {
    package let milliseconds: Int64
    package var description: String { "redis-server sent no reply within \(milliseconds) ms; the connection was closed" }
}

/// Pairs each reply with the promise of the command that caused it (replies come back in order).
/// While replies are owed, each must arrive within `replyTimeout` of the previous one or of the
/// write; otherwise every waiting command fails and the connection is closed (it is re-opened on the
/// next send), so one stuck reply cannot hang every later request.
final class RESPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPBatch
    typealias OutboundOut = ByteBuffer

    private let replyTimeout: TimeAmount
    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var deadline: Scheduled<Void>?

    init(replyTimeout: TimeAmount) {
        self.replyTimeout = replyTimeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let batch = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 256)
        for command in batch.commands {
            buffer.writeString("*\(command.count)\r\n")
            for argument in command {
                buffer.writeString("$\(argument.count)\r\n")
                buffer.writeBytes(argument)
                buffer.writeString("\r\n")
            }
        }
        if pending.isEmpty { arm(context) }
        pending.append(contentsOf: batch.promises)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        pending.popFirst()?.succeed(value)
        deadline?.cancel()
        deadline = nil
        if !pending.isEmpty { arm(context) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func arm(_ context: ChannelHandlerContext) {
        let timeout = replyTimeout
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.failAll(RedisReplyTimeout(milliseconds: timeout.nanoseconds / 1_000_000))
            context.close(promise: nil)
        }
    }

    private func failAll(_ error: any Error) {
        deadline?.cancel()
        deadline = nil
        while let promise = pending.popFirst() { promise.fail(error) }
    }
}
