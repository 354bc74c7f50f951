import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ReviewCore

/// One multiplexed, pipelined connection to redis-server, re-opened when it drops.
/// Every batch is written contiguously, so MULTI…EXEC from one request stays atomic.
/// A reply owed for longer than `replyTimeout` closes the connection (see RESPConnectionHandler);
/// blocking commands get their own connection and the longer `blockingReplyTimeout`.
package final class RedisConnection: Sendable {
    private let address: RedisAddress
    private let group: any EventLoopGroup
    private let replyTimeout: TimeAmount
    private let blockingReplyTimeout: TimeAmount
    private let channel = NIOLockedValueBox<EventLoopFuture<any Channel>?>(nil)

    package init(address: RedisAddress, group: any EventLoopGroup, replyTimeout: TimeAmount = .seconds(10), blockingReplyTimeout: TimeAmount = .minutes(5)) {
        self.address = address
        self.group = group
        self.replyTimeout = replyTimeout
        self.blockingReplyTimeout = blockingReplyTimeout
    }

    /// Sends `commands` in one write and returns their replies in order.
    package func send(_ commands: [[[UInt8]]]) async throws -> [RESPValue] {
        let channel = try await current()
        return try await Self.send(commands, on: channel)
    }

    /// For blocking commands: a connection of their own, closed afterwards.
    package func sendOnDedicatedConnection(_ commands: [[[UInt8]]]) async throws -> [RESPValue] {
        let channel = try await connect(replyTimeout: blockingReplyTimeout).get()
        defer { channel.close(promise: nil) }
        return try await Self.send(commands, on: channel)
    }

    package func close() async {
        if let future = channel.withLockedValue({ $0 }), let open = try? await future.get() {
            try? await open.close()
        }
    }

    private static func send(_ commands: [[[UInt8]]], on channel: any Channel) async throws -> [RESPValue] {
        let promises = commands.map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        try await channel.writeAndFlush(RESPBatch(commands: commands, promises: promises)).get()
        var replies: [RESPValue] = []
        for promise in promises { replies.append(try await promise.futureResult.get()) }
        return replies
    }

    private func current() async throws -> any Channel {
        let future = channel.withLockedValue { box in
            if let existing = box { return existing }
            let fresh = connect(replyTimeout: replyTimeout)
            box = fresh
            return fresh
        }
        if let open = try? await future.get(), open.isActive { return open }
        // The connection failed or dropped (redis-server restarted): open a new one, once per failure.
        let retry = channel.withLockedValue { box in
            if let existing = box, existing !== future { return existing }
            let fresh = connect(replyTimeout: replyTimeout)
            box = fresh
            return fresh
        }
        return try await retry.get()
    }

    private func connect(replyTimeout: TimeAmount) -> EventLoopFuture<any Channel> {
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(2))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RESPConnectionHandler(replyTimeout: replyTimeout))
                }
            }
        switch address {
        case .tcp(let host, let port): return bootstrap.connect(host: host, port: port)
        case .unix(let path): return bootstrap.connect(unixDomainSocketPath: path)
        }
    }
}
