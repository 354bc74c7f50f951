import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import ReviewCore

/// A small HTTP/1.1 server on SwiftNIO, used for every server the project runs: the functions'
/// HTTP-invoke mode, `redis-rest`, and the test stands-ins. Whoever can reach its port is a
/// stranger, so `HTTPServerLimits` bounds what one can hold: idle and read timeouts, a connection
/// cap that makes room by closing the longest-idle connection, a body limit enforced while
/// reading (413), a memory budget for all bodies in flight (503), and a close after a parse error.
///
/// Structured as swift-nio's `NIOAsyncChannel` servers and Hummingbird's are: the server owns one
/// task, which iterates the accepted connections and serves each (`HTTPConnection`) as a child of
/// one discarding task group, reading its requests and running the handler in that child. Stopping
/// cancels the group and waits for every connection; nothing runs outside it.
public final class HTTPServer: Sendable {
    /// Answers one request.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse
    /// Decides a request from its head alone (its body not read); nil reads and handles it.
    public typealias Screen = @Sendable (HTTPRequest) -> HTTPResponse?

    private let listener: any Channel
    private let registry: ConnectionRegistry
    private let serving: Task<Void, Never>
    /// The port actually bound (useful when asked for port 0).
    public let port: Int

    private init(listener: any Channel, registry: ConnectionRegistry, serving: Task<Void, Never>) {
        self.listener = listener
        self.registry = registry
        self.serving = serving
        port = listener.localAddress?.port ?? 0
    }

    /// Connections open now.
    public var openConnections: Int { registry.openConnections }

    /// Returns once `peer` holds at least `bytes` of unfinished request bodies.
    public func waitUntil(peer: String, holds bytes: Int) async { await registry.waitUntil { $0.peerBodyBytes[peer, default: 0] >= bytes } }

    /// Returns once exactly `count` connections are busy answering a request.
    public func waitUntil(busy count: Int) async { await registry.waitUntil { $0.busy == count } }

    /// Returns once `count` connections have been admitted since the server started.
    public func waitUntil(admitted count: Int) async { await registry.waitUntil { $0.admitted >= count } }

    /// Binds `host:port` (port 0 picks a free one) and serves `handler` until `stop()`.
    /// Every server of the process shares NIO's one event loop group (a thread per core), as
    /// AsyncHTTPClient's shared client does: a server adds no threads of its own.
    public static func start(
        host: String = "127.0.0.1", port: Int, limits: HTTPServerLimits = HTTPServerLimits(), screen: Screen? = nil,
        handler: @escaping Handler
    ) async throws -> HTTPServer {
        let registry = ConnectionRegistry(limits: limits)
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try HTTPConnection.configure(channel, registry: registry) }
            }
        let serving = Task<Void, Never> {
            await withDiscardingTaskGroup { group in
                try? await listener.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await connection.serve(registry: registry, screen: screen, handler: handler) }
                    }
                }
            }
        }
        return HTTPServer(listener: listener.channel, registry: registry, serving: serving)
    }

    /// Stops accepting connections, cancels the requests under way (waiting a few seconds at most
    /// for them to end: a handler may ignore cancellation) and closes every connection.
    public func stop() async {
        try? await listener.close()
        registry.stopAccepting()
        serving.cancel()
        await end()
    }

    /// A graceful stop: no new connections, idle ones closed, every response from now on closes
    /// its connection; requests under way get `grace` seconds to finish, then are cancelled (and
    /// get a moment to wind down).
    public func shutdown(grace: TimeInterval, clock: WallClock = .system) async {
        try? await listener.close()
        for idle in registry.beginDraining() { idle.close(promise: nil) }
        let finished = await Self.first(of: { await self.registry.waitUntilNoneBusy() }, orAfter: grace, clock: clock)
        // Within the grace period the requests end on their own; past it they are cancelled and get
        // a moment to wind down (review-job gives an interrupted job's lease back). A request that
        // completes from now on is answered 503.
        registry.stopAccepting()
        if !finished { serving.cancel() }
        await end(clock: clock)
    }

    /// Waits (a few seconds at most) for the busy connections' answers, closes every connection,
    /// and waits for the server's task to end.
    private func end(clock: WallClock = .system) async {
        _ = await Self.first(of: { await self.registry.waitUntilNoneBusy() }, orAfter: 5, clock: clock)
        for open in registry.stopAll() { try? await open.close() }
        _ = await Self.first(of: { await self.serving.value }, orAfter: 5, clock: clock)
    }

    /// True when `work` returned within `seconds`.
    private static func first(of work: @escaping @Sendable () async -> Void, orAfter seconds: TimeInterval, clock: WallClock) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await work()
                return true
            }
            group.addTask {
                try? await clock.sleep(seconds)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Returns when the server has been stopped.
    public func waitUntilClosed() async {
        try? await listener.closeFuture.get()
    }
}
