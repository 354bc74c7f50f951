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
/// The channel handlers read each request; answering it is a child task of one task group the
/// server owns (`Requests`), so stopping cancels every request under way and waits for them all —
/// structured, as Hummingbird's server runs its connections — instead of loose tasks per request.
public final class HTTPServer: Sendable {
    /// Answers one request.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    private let channel: any Channel
    private let registry: ConnectionRegistry
    private let requests: Requests
    /// The port actually bound (useful when asked for port 0).
    public let port: Int

    private init(channel: any Channel, registry: ConnectionRegistry, requests: Requests) {
        self.channel = channel
        self.registry = registry
        self.requests = requests
        port = channel.localAddress?.port ?? 0
    }

    /// Connections open now.
    public var openConnections: Int { registry.openConnections }

    /// Returns once `peer` holds at least `bytes` of unfinished request bodies.
    public func waitUntil(peer: String, holds bytes: Int) async { await registry.waitUntil { $0.peerBodyBytes[peer, default: 0] >= bytes } }

    /// Returns once `count` connections have been admitted since the server started.
    public func waitUntil(admitted count: Int) async { await registry.waitUntil { $0.admitted >= count } }

    /// Binds `host:port` (port 0 picks a free one) and serves `handler` until `stop()`.
    /// Decides a request from its head alone (its body not read); nil reads and handles it.
    public typealias Screen = @Sendable (HTTPRequest) -> HTTPResponse?

    /// Every server of the process shares NIO's one event loop group (a thread per core), as
    /// AsyncHTTPClient's shared client does: a server adds no threads of its own.
    public static func start(
        host: String = "127.0.0.1", port: Int, limits: HTTPServerLimits = HTTPServerLimits(), screen: Screen? = nil,
        handler: @escaping Handler
    ) async throws -> HTTPServer {
        let group = MultiThreadedEventLoopGroup.singleton
        let registry = ConnectionRegistry(limits: limits)
        let requests = Requests(handler: handler)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let reader = RequestHandler(registry: registry, requests: requests, screen: screen)
                    try channel.pipeline.syncOperations.addHandler(ActivityHandler(reader))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
                    try channel.pipeline.syncOperations.addHandler(reader)
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return HTTPServer(channel: channel, registry: registry, requests: requests)
        } catch {
            await requests.stop()
            throw error
        }
    }

    /// Stops accepting connections, cancels the requests under way (waiting a few seconds at most
    /// for them to end: a handler may ignore cancellation) and closes every connection.
    public func stop() async {
        try? await channel.close()
        _ = await Self.first(of: { await self.requests.stop() }, orAfter: 5, clock: .system)
        for open in registry.stopAll() { try? await open.close() }
    }

    /// A graceful stop: no new connections, idle ones closed, every response from now on closes
    /// its connection; requests under way get `grace` seconds to finish, then are cancelled (and
    /// get a moment to wind down).
    public func shutdown(grace: TimeInterval, clock: WallClock = .system) async {
        try? await channel.close()
        for idle in registry.beginDraining() { idle.close(promise: nil) }
        let finished = await Self.first(of: { await self.registry.waitUntilNoneBusy() }, orAfter: grace, clock: clock)
        // Within the grace period the requests end on their own; past it they are cancelled and get
        // a moment to wind down (review-job gives an interrupted job's lease back).
        _ = await Self.first(
            of: {
                if finished { await self.requests.finish() } else { await self.requests.stop() }
                await self.registry.waitUntilNoneBusy()  // their answers written
            }, orAfter: 5, clock: clock)
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
        try? await channel.closeFuture.get()
    }
}

/// The requests being answered: each a child task of one discarding task group that lives as long
/// as the server. `stop()` cancels the group and returns once every child has ended; `finish()`
/// lets those under way end on their own.
final class Requests: Sendable {
    struct Pending: Sendable {
        let request: HTTPRequest
        let answer: EventLoopPromise<HTTPResponse>
    }

    private let inbox: AsyncStream<Pending>.Continuation
    private let runner: Task<Void, Never>

    init(handler: @escaping HTTPServer.Handler) {
        let (stream, inbox) = AsyncStream.makeStream(of: Pending.self)
        self.inbox = inbox
        runner = Task {
            await withDiscardingTaskGroup { group in
                for await pending in stream {
                    group.addTask { pending.answer.succeed(await handler(pending.request)) }
                }
            }
        }
    }

    /// Answers `request` through `answer`; after `stop()`, at once with 503.
    func answer(_ request: HTTPRequest, _ answer: EventLoopPromise<HTTPResponse>) {
        if case .terminated = inbox.yield(Pending(request: request, answer: answer)) {
            answer.succeed(ErrorAnswer(ReviewError(.busy, "the server is stopping")).http)
        }
    }

    /// No new requests; those under way are cancelled, and this returns once they have all ended.
    func stop() async {
        inbox.finish()
        runner.cancel()
        await runner.value
    }

    /// No new requests; returns once those under way have ended on their own.
    func finish() async {
        inbox.finish()
        await runner.value
    }
}

/// Sees a connection's raw bytes before the HTTP parser does, so the read timeout starts at a
/// request's first byte, not when its head is complete.
private final class ActivityHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let requests: RequestHandler

    init(_ requests: RequestHandler) { self.requests = requests }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        requests.requestBegins()
        context.fireChannelRead(data)
    }
}

/// Collects one request (head, body, end), hands it to the async handler, writes the response;
/// keeps the connection's phase, timer and share of the body budget.
private final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: ConnectionRegistry
    private let requests: Requests
    private let screen: HTTPServer.Screen?
    private var limits: HTTPServerLimits { registry.limits }
    private var context: ChannelHandlerContext?
    private var phase = ConnectionRegistry.Phase.idle
    private var timer: Scheduled<Void>?
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    /// Body bytes this connection holds of the shared budget, by the peer they count against
    /// (requests pipelined through a proxy may come from different peers).
    private var reserved: [String: Int] = [:]
    /// Who sends the body being read, for its share of the budget (`PeerAddress`).
    private var peer = ""
    private var rejected = false

    init(registry: ConnectionRegistry, requests: Requests, screen: HTTPServer.Screen?) {
        self.registry = registry
        self.requests = requests
        self.screen = screen
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        guard registry.admit(context.channel) else {
            // Every connection is busy with a request: refuse this one rather than queue it.
            context.close(promise: nil)
            return
        }
        arm(limits.idleTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        releaseBody()
        registry.remove(context.channel)
        context.fireChannelInactive()
    }

    /// The first byte of a request arrived: from now on it has `readTimeout` to be complete.
    func requestBegins() {
        guard phase == .idle, let context else { return }
        phase = .reading
        registry.set(context.channel, .reading)
        arm(limits.readTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestBegins()  // a pipelined request may have been read while the previous one was busy
            self.head = head
            peer = PeerAddress.key(remote: context.channel.remoteAddress?.ipAddress, forwardedFor: head.headers.first(name: "x-forwarded-for"))
            body.clear()
            rejected = false
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBodyBytes {
                reject(context: context, .tooLarge, "body is at least \(length) bytes; the limit is \(limits.maxBodyBytes)")
            } else if let screen, let answer = screen(Self.request(head: head, body: ByteBuffer())) {
                // Decided from the head: the body is never read, and the connection ends with the answer.
                rejected = true
                phase = .busy
                timer?.cancel()
                write(answer, keepAlive: false, context: context)
            }
        case .body(var chunk):
            guard !rejected else { return }
            let size = body.readableBytes + chunk.readableBytes
            if size > limits.maxBodyBytes {
                reject(context: context, .tooLarge, "body is at least \(size) bytes; the limit is \(limits.maxBodyBytes)")
                return
            }
            guard registry.reserveBody(chunk.readableBytes, peer: peer) else {
                reject(context: context, .busy, "the server is holding as many request bodies as it may; retry later")
                return
            }
            reserved[peer, default: 0] += chunk.readableBytes
            body.writeBuffer(&chunk)
        case .end:
            guard !rejected, let head else { return }
            phase = .busy
            registry.set(context.channel, .busy)
            timer?.cancel()
            let request = Self.request(head: head, body: body)
            body = ByteBuffer()
            let keepAlive = head.isKeepAlive
            let answered = context.eventLoop.makePromise(of: HTTPResponse.self)
            requests.answer(request, answered)
            answered.futureResult
                .assumeIsolated()
                .whenSuccess { response in
                    self.write(response, keepAlive: keepAlive && !self.registry.isDraining, context: context)
                }
        }
    }

    /// A request the parser could not read was answered 400 by NIO: the connection ends here.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func arm(_ seconds: TimeInterval) {
        timer?.cancel()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { [weak self] in
            self?.context?.close(promise: nil)
        }
    }

    private func releaseBody() {
        for (peer, bytes) in reserved { registry.releaseBody(bytes, peer: peer) }
        reserved = [:]
    }

    private func reject(context: ChannelHandlerContext, _ code: ReviewError.Code, _ reason: String) {
        rejected = true
        phase = .busy
        timer?.cancel()
        body = ByteBuffer()
        releaseBody()
        write(ErrorAnswer(ReviewError(code, reason)).http, keepAlive: false, context: context)
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for (name, value) in response.headers where name != "content-length" && name != "connection" {
            headers.add(name: name, value: value)
        }
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        done.futureResult.assumeIsolated().whenComplete { _ in
            self.releaseBody()
            guard keepAlive else {
                context.close(promise: nil)
                return
            }
            self.phase = .idle
            self.registry.set(context.channel, .idle)
            self.arm(self.limits.idleTimeout)
        }
    }

    private static func request(head: HTTPRequestHead, body: ByteBuffer) -> HTTPRequest {
        var headers: [String: String] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { $0 + ", " + value } ?? value
        }
        let url = URL(string: "http://localhost" + (head.uri.hasPrefix("/") ? head.uri : "/" + head.uri)) ?? URL(string: "http://localhost/")!
        return HTTPRequest(method: head.method.rawValue, url: url, headers: headers, body: Data(body.readableBytesView))
    }
}
