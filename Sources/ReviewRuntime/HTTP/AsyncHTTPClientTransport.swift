import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ReviewCore

/// `HTTPTransport` on swift-server's AsyncHTTPClient: every outbound call of the project. Its event
/// loops sleep in epoll while nothing arrives, where URLSession on Linux (libcurl under
/// FoundationNetworking) turns about 3,000 times a second for the whole wait — a 20 s wait cost 16.7
/// CPU-seconds there — and under load the spinning halves what a process serves (ingest: 1,600–1,800
/// deliveries/s on AsyncHTTPClient, 880–990 on URLSession, same machine and run). The long calls
/// (GitHub, the model) use `HTTPClient.shared`, on NIO's shared event loop group: nothing to shut
/// down; the queue and kicks use `failingFast`.
///
/// `HTTPRequest.timeout` is the whole call's deadline. The body is read up to `maxResponseBytes`; a
/// longer one is cut off as `too_large`.
public struct AsyncHTTPClientTransport: HTTPTransport {
    let client: HTTPClient

    public init(client: HTTPClient = .shared) { self.client = client }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await ExternalCallLog.record(request) { try await exchange(request) }
    }

    private func exchange(_ request: HTTPRequest) async throws -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if request.header("user-agent") == nil { outgoing.headers.add(name: "user-agent", value: Build.userAgent) }
        if !request.body.isEmpty || request.method == "POST" { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        let host = request.url.host ?? "?"
        let call = "\(request.method) \(host)\(request.url.path)"
        do {
            let response = try await client.execute(outgoing, timeout: .milliseconds(Int64(max(0.001, request.timeout) * 1000)))
            let body = try await response.body.collect(upTo: request.maxResponseBytes)
            return HTTPResponse(status: Int(response.status.code), headers: response.headers.byLowercasedName, body: Data(body.readableBytesView))
        } catch let error as ReviewError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch is NIOTooManyBytesError {
            throw ReviewError(.tooLarge, "\(call) answered more than \(request.maxResponseBytes) bytes: cut off")
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            throw ReviewError(.timeout, "\(call) timed out after \(request.timeout) s")
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            throw ReviewError(.network, "\(call) failed: \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? IOError { return error.description }
        return "\(type(of: error))"
    }
}

extension AsyncHTTPClientTransport {
    /// For short calls that should fail at once when nothing listens: the queue's REST calls (a
    /// refused connection is the queue being down, which the caller's retry policy handles) and
    /// kicks (the job is queued anyway, so a delivery's answer never waits for an endpoint that is
    /// down). The shared client retries establishing a connection until the call's deadline, right
    /// for GitHub and the model; this one does not.
    public static let failingFast = AsyncHTTPClientTransport(client: failFastClient)
}

/// Lives as long as the process (a global is never released, so it needs no shutdown). Serve mode
/// answers many deliveries at once, each with its own queue call: up to 64 connections to a host
/// (the shared client keeps 8, and further calls wait for one of them). An idle connection is
/// closed after 30 s, before the server's own idle timeout (redis-rest's is 60 s, as are common
/// proxies'): a call never picks a pooled connection at the moment the server closes it, which
/// would fail a delivery's enqueue with nothing wrong at either end.
private let failFastClient: HTTPClient = {
    var configuration = HTTPClient.Configuration.singletonConfiguration
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
    configuration.connectionPool.idleTimeout = .seconds(30)
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()
