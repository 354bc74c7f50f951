import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server on SwiftNIO, used for every server the project runs: the functions'
/// HTTP-invoke mode, `redis-rest`, and the test stand-ins. Bodies over `maxBodyBytes` get a 413.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    /// The port actually bound (useful when asked for port 0).
    public let port: Int

    private init(channel: any Channel, group: MultiThreadedEventLoopGroup) {
        self.channel = channel
        self.group = group
        port = channel.localAddress?.port ?? 0
    }

    /// Binds `host:port` (port 0 picks a free one) and serves `handler` until `stop()`.
    public static func start(
        host: String = "127.0.0.1", port: Int, maxBodyBytes: Int = 25 * 1024 * 1024,
        threads: Int = System.coreCount, handler: @escaping Handler
    ) async throws -> HTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(maxBodyBytes: maxBodyBytes, handler: handler))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return HTTPServer(channel: channel, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Stops accepting connections and releases the threads.
    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    /// Returns when the server has been stopped.
    public func waitUntilClosed() async {
        try? await channel.closeFuture.get()
    }
}

/// Collects one request (head, body, end), hands it to the async handler, writes the response.
private final class RequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodyBytes: Int
    private let handler: HTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var rejected = false

    init(maxBodyBytes: Int, handler: @escaping HTTPServer.Handler) {
        self.maxBodyBytes = maxBodyBytes
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            rejected = false
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBodyBytes {
                reject(context: context, size: length)
            }
        case .body(var chunk):
            guard !rejected else { return }
            if body.readableBytes + chunk.readableBytes > maxBodyBytes {
                reject(context: context, size: body.readableBytes + chunk.readableBytes)
                return
            }
            body.writeBuffer(&chunk)
        case .end:
            guard !rejected, let head else { return }
            let request = Self.request(head: head, body: body)
            let keepAlive = head.isKeepAlive
            let handler = self.handler
            context.eventLoop.makeFutureWithTask { await handler(request) }
                .assumeIsolated()
                .whenSuccess { response in
                    self.write(response, keepAlive: keepAlive, context: context)
                }
        }
    }

    private func reject(context: ChannelHandlerContext, size: Int) {
        rejected = true
        let body = #"{"code":"too_large","reason":"body is at least \#(size) bytes; the limit is \#(maxBodyBytes)","status":"rejected"}"#
        write(.json(413, Data(body.utf8)), keepAlive: false, context: context)
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
        let done = context.writeAndFlushPromise()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
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

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
