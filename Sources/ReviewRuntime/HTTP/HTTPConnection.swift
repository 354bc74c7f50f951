import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ReviewCore

/// One accepted connection, served by one child task of its server's task group: read a request
/// (within the stranger limits), answer it, write the answer, and again while the connection is
/// kept alive. The handler runs in this task, so cancelling the server's group reaches it.
struct HTTPConnection: Sendable {
    typealias Parts = NIOAsyncChannel<HTTPServerRequestPart, Never>

    let parts: Parts
    let phase: ConnectionPhase
    private var channel: any Channel { parts.channel }

    /// Adds the HTTP/1.1 codec and the first-byte hook to `channel`; on its event loop.
    static func configure(_ channel: any Channel, registry: ConnectionRegistry) throws -> HTTPConnection {
        let phase = ConnectionPhase(channel: channel, registry: registry)
        phase.idle()  // from acceptance on: bytes may arrive before the serving task starts
        try channel.pipeline.syncOperations.addHandler(FirstByteHandler(phase))
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
        // Reading stops while two parts wait for the task: what a connection holds beyond the body
        // budget (which counts bytes as the task takes them) stays a read or two (NIO's reads are
        // at most 64 KB), not the default ten, however many strangers connect.
        let waiting = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(lowWatermark: 1, highWatermark: 2)
        return HTTPConnection(parts: try Parts(wrappingChannelSynchronously: channel, configuration: .init(backPressureStrategy: waiting)), phase: phase)
    }

    func serve(registry: ConnectionRegistry, screen: HTTPServer.Screen?, handler: HTTPServer.Handler) async {
        guard registry.admit(channel) else {
            // Every connection is busy with a request: refuse this one rather than queue it.
            phase.closed()
            try? await parts.executeThenClose { _ in }
            return
        }
        let channel = channel
        channel.closeFuture.whenComplete { _ in registry.remove(channel) }
        phase.admitted()
        var reader = RequestReader(registry: registry, phase: phase, screen: screen, remote: channel.remoteAddress?.ipAddress)
        defer {
            phase.closed()
            reader.releaseBody()
        }
        // A request NIO could not parse was answered 400 by its error handler; the stream then
        // throws and the connection ends here, as it does when the peer goes or a timer closes it.
        try? await parts.executeThenClose { inbound in
            var iterator = inbound.makeAsyncIterator()
            while let next = try await reader.next(from: &iterator) {
                phase.busy()
                switch next {
                case .refuse(let answer):
                    reader.releaseBody()
                    try await write(answer, keepAlive: false)
                    return
                case .request(let request, let keepAlive):
                    let answer = registry.isStopping ? ErrorAnswer(ReviewError(.busy, "the server is stopping")).http : await handler(request)
                    let stays = keepAlive && !registry.isDraining
                    try await write(answer, keepAlive: stays)
                    reader.releaseBody()
                    guard stays else { return }
                    phase.idle()
                }
            }
        }
    }

    /// Writes through the channel's own futures rather than an async writer: a request cancelled by
    /// a stopping server still gets its answer written (an async writer refuses a cancelled task).
    private func write(_ response: HTTPResponse, keepAlive: Bool) async throws {
        var headers = HTTPHeaders()
        for (name, value) in response.headers where name != "content-length" && name != "connection" {
            headers.add(name: name, value: value)
        }
        headers.add(name: "content-length", value: String(response.body.count))
        headers.add(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil)
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
    }
}

/// Reads one request at a time from a connection's parts, enforcing the body limit and the shared
/// body budget as the bytes arrive, and the screen on the head alone.
struct RequestReader {
    enum Next {
        /// A whole request; keep the connection after its answer when `keepAlive`.
        case request(HTTPRequest, keepAlive: Bool)
        /// Answer this without reading on, and close.
        case refuse(HTTPResponse)
    }

    let registry: ConnectionRegistry
    let phase: ConnectionPhase
    let screen: HTTPServer.Screen?
    /// The connection's peer address, for `PeerAddress`.
    let remote: String?
    /// The body bytes of the request being read or answered, held of the shared budget for its peer
    /// (one request at a time: each gives its bytes back once answered, before the next is read).
    private var held: (peer: String, bytes: Int)?
    private var limits: HTTPServerLimits { registry.limits }

    init(registry: ConnectionRegistry, phase: ConnectionPhase, screen: HTTPServer.Screen?, remote: String?) {
        self.registry = registry
        self.phase = phase
        self.screen = screen
        self.remote = remote
    }

    /// The next request, or nil when the connection ended first.
    mutating func next(from parts: inout NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) async throws -> Next? {
        guard case .head(let head)? = try await parts.next() else { return nil }
        phase.requestBegins()  // a pipelined request may have been read while the previous one was busy
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBodyBytes {
            return tooLarge(length)
        }
        if let screen, let answer = screen(Self.request(head: head, body: ByteBuffer())) {
            return .refuse(answer)  // decided from the head: the body is never read
        }
        let peer = PeerAddress.key(remote: remote, forwardedFor: head.headers.first(name: "x-forwarded-for"))
        var body = ByteBuffer()
        while let part = try await parts.next() {
            switch part {
            case .head:
                return nil  // NIO's decoder never sends a head before the previous request's end
            case .body(var chunk):
                let size = body.readableBytes + chunk.readableBytes
                if size > limits.maxBodyBytes { return tooLarge(size) }
                guard registry.reserveBody(chunk.readableBytes, peer: peer) else {
                    return .refuse(ErrorAnswer(ReviewError(.busy, "the server is holding as many request bodies as it may; retry later")).http)
                }
                held = (peer, (held?.bytes ?? 0) + chunk.readableBytes)
                body.writeBuffer(&chunk)
            case .end:
                return .request(Self.request(head: head, body: body), keepAlive: head.isKeepAlive)
            }
        }
        return nil
    }

    /// Gives back this connection's share of the body budget (its answer is written, or it closed).
    mutating func releaseBody() {
        if let held { registry.releaseBody(held.bytes, peer: held.peer) }
        held = nil
    }

    private func tooLarge(_ size: Int) -> Next {
        .refuse(ErrorAnswer(ReviewError(.tooLarge, "body is at least \(size) bytes; the limit is \(limits.maxBodyBytes)")).http)
    }

    static func request(head: HTTPRequestHead, body: ByteBuffer) -> HTTPRequest {
        let url = URL(string: "http://localhost" + (head.uri.hasPrefix("/") ? head.uri : "/" + head.uri)) ?? URL(string: "http://localhost/")!
        return HTTPRequest(method: head.method.rawValue, url: url, headers: head.headers.byLowercasedName, body: Data(body.readableBytesView))
    }
}

/// A connection's phase and its one timer: idle (closed after the idle timeout) → reading, from a
/// request's first byte (closed unless complete within the read timeout) → busy (no timer) → idle.
/// The registry sees every move, so eviction at the cap picks only idle or reading connections.
final class ConnectionPhase: Sendable {
    private let channel: any Channel
    private let registry: ConnectionRegistry
    private let state = NIOLockedValueBox<(phase: ConnectionRegistry.Phase, timer: Scheduled<Void>?)>((.idle, nil))

    init(channel: any Channel, registry: ConnectionRegistry) {
        self.channel = channel
        self.registry = registry
    }

    func idle() { move(to: .idle, closingAfter: registry.limits.idleTimeout) }
    func busy() { move(to: .busy, closingAfter: nil) }

    /// The first byte of a request arrived: from now on it has the read timeout to be complete.
    func requestBegins() { move(to: .reading, closingAfter: registry.limits.readTimeout, onlyFrom: .idle) }

    /// The registry has just admitted the connection: tell it the phase (a request may have begun).
    func admitted() { state.withLockedValue { registry.set(channel, $0.phase) } }

    func closed() { state.withLockedValue { $0.timer?.cancel() } }

    private func move(to phase: ConnectionRegistry.Phase, closingAfter seconds: TimeInterval?, onlyFrom: ConnectionRegistry.Phase? = nil) {
        let channel = channel
        state.withLockedValue { state in
            if let onlyFrom, state.phase != onlyFrom { return }
            state.timer?.cancel()
            state.phase = phase
            state.timer = seconds.map { seconds in
                channel.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { channel.close(promise: nil) }
            }
            registry.set(channel, phase)
        }
    }
}

/// Sees a connection's raw bytes before the HTTP parser does, so the read timeout starts at a
/// request's first byte, not when its head is complete.
private final class FirstByteHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let phase: ConnectionPhase

    init(_ phase: ConnectionPhase) { self.phase = phase }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        phase.requestBegins()
        context.fireChannelRead(data)
    }
}
