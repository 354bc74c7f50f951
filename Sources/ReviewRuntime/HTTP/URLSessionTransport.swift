import Foundation
import ReviewCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends HTTP requests; every outbound call of the project goes through one.
public protocol HTTPTransport: Sendable {
    /// Returns any response the server gave (4xx and 5xx included); throws `ReviewError` with code
    /// `timeout` or `network` (both retryable) when there was no response, and `CancellationError`
    /// when the calling task was cancelled.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// `HTTPTransport` on URLSession (libcurl on Linux), with no cache, cookies or credential storage.
/// On Linux a request's `timeoutInterval` does not override its session's (a 300 s model call was
/// cut at the default 60 s, a 3 s kick waited 60 s), so each distinct `HTTPRequest.timeout` gets its
/// own session — a handful in practice (queue, GitHub, model, kick) — whose timeout is that value.
/// URLSession's timeout counts idle time: a call fails once nothing has arrived for that long.
/// Calls go through `dataTask` read by the session's delegate (`BodyReader`), not `data(for:)`:
/// cancelling the latter on Linux can deadlock when the call is finishing at that moment (seen: a
/// review-job hung in a heartbeat cancelled just as it failed — the runtime held the task's status
/// lock while `URLSessionTask.cancel()` waited for the session's queue, which waited for that
/// lock); the delegate also cuts off an answer over the request's `maxResponseBytes`.
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [TimeInterval: URLSession] = [:]
    /// Reads every answer as it arrives, so a body over its request's cap is cut off, not held.
    private let reader = BodyReader()

    public init() {}

    private func session(timeout: TimeInterval) -> URLSession {
        lock.lock()
        defer { lock.unlock() }
        if let session = sessions[timeout] { return session }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.urlCredentialStorage = nil
        configuration.timeoutIntervalForRequest = timeout
        // Serve mode answers many deliveries at once; each needs its own connection to the queue.
        configuration.httpMaximumConnectionsPerHost = 64
        // The delegate's calls for a task come in order on one queue; each only appends bytes or
        // hands the answer to the waiting task, so a busy process does not queue behind them.
        let delegateQueue = OperationQueue()
        delegateQueue.name = "URLSessionTransport bodies"
        delegateQueue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: reader, delegateQueue: delegateQueue)
        sessions[timeout] = session
        return session
    }

    /// Sends the request on the session for its timeout.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await ExternalCallLog.record(request) { try await exchange(request) }
    }

    private func exchange(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if request.header("user-agent") == nil { urlRequest.setValue(Build.userAgent, forHTTPHeaderField: "user-agent") }
        if !request.body.isEmpty || request.method == "POST" { urlRequest.httpBody = request.body }
        let host = request.url.host ?? "?"
        do {
            let (data, response) = try await exchange(urlRequest, on: session(timeout: request.timeout), cap: request.maxResponseBytes)
            guard let http = response as? HTTPURLResponse else {
                throw ReviewError(.network, "\(host) sent a response that is not HTTP")
            }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
            }
            return HTTPResponse(status: http.statusCode, headers: headers, body: data)
        } catch let error as ReviewError {
            throw error
        } catch let error as CancellationError {
            // The caller gave up: that is theirs to handle, not a network failure to retry.
            throw error
        } catch let tooLong as BodyReader.TooLong {
            throw ReviewError(.tooLarge, "\(request.method) \(host)\(request.url.path) answered more than \(tooLong.cap) bytes: cut off")
        } catch let error as URLError where error.code == .timedOut {
            throw ReviewError(.timeout, "\(request.method) \(host)\(request.url.path) timed out after \(request.timeout) s")
        } catch {
            throw ReviewError(.network, "\(request.method) \(host)\(request.url.path) failed: \(Self.reason(error))")
        }
    }

    /// One data task, read by `reader` up to `cap` bytes; the caller's cancellation cancels it, off
    /// the cancelling thread.
    private func exchange(_ request: URLRequest, on session: URLSession, cap: Int) async throws -> (Data, URLResponse) {
        let outcome = OnceContinuation<(Data, URLResponse)>()
        let task = session.dataTask(with: request)
        reader.start(task, cap: cap, outcome: outcome)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                outcome.set(continuation)
                task.resume()
            }
        } onCancel: {
            // Not on this thread: the runtime holds the task's status lock while this handler runs.
            DispatchQueue.global().async {
                outcome.resume(.failure(CancellationError()))
                task.cancel()
            }
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? URLError {
            switch error.code {
            case .cannotConnectToHost: return "connection refused"
            case .cannotFindHost: return "host not found"
            case .networkConnectionLost: return "connection lost"
            case .notConnectedToInternet: return "no network"
            default: return "URL error \(error.code.rawValue)"
            }
        }
        return "\(type(of: error))"
    }
}

/// The session's delegate: collects each task's body as it arrives and ends the task with its
/// answer, or cuts it off once the body passes the task's cap (`Content-Length` says so first
/// when the server sends it).
final class BodyReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct TooLong: Error { let cap: Int }

    private final class Reading {
        let cap: Int
        let outcome: OnceContinuation<(Data, URLResponse)>
        var body = Data()
        var response: URLResponse?

        init(cap: Int, outcome: OnceContinuation<(Data, URLResponse)>) {
            self.cap = cap
            self.outcome = outcome
        }
    }

    private let lock = NSLock()
    private var readings: [Int: Reading] = [:]

    func start(_ task: URLSessionTask, cap: Int, outcome: OnceContinuation<(Data, URLResponse)>) {
        lock.lock()
        readings[task.taskIdentifier] = Reading(cap: cap, outcome: outcome)
        lock.unlock()
    }

    private func reading(_ task: URLSessionTask, remove: Bool = false) -> Reading? {
        lock.lock()
        defer { lock.unlock() }
        return remove ? readings.removeValue(forKey: task.taskIdentifier) : readings[task.taskIdentifier]
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        guard let reading = reading(dataTask) else { return completionHandler(.cancel) }
        if response.expectedContentLength > Int64(reading.cap) {
            _ = self.reading(dataTask, remove: true)
            reading.outcome.resume(.failure(TooLong(cap: reading.cap)))
            return completionHandler(.cancel)
        }
        reading.response = response
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let reading = reading(dataTask) else { return }
        guard reading.body.count + data.count <= reading.cap else {
            _ = self.reading(dataTask, remove: true)
            reading.outcome.resume(.failure(TooLong(cap: reading.cap)))
            dataTask.cancel()
            return
        }
        reading.body.append(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let reading = reading(task, remove: true) else { return }
        if error == nil, let response = reading.response ?? task.response {
            reading.outcome.resume(.success((reading.body, response)))
        } else {
            reading.outcome.resume(.failure(error ?? URLError(.badServerResponse)))
        }
    }
}

/// A continuation resumed once, by whichever comes first (the answer or a cancellation); a result
/// that arrives before the continuation exists is kept for it.
final class OnceContinuation<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?
    private var early: Result<Value, any Error>?
    private var resumed = false

    func set(_ continuation: CheckedContinuation<Value, any Error>) {
        lock.lock()
        guard let early else {
            self.continuation = continuation
            lock.unlock()
            return
        }
        lock.unlock()
        continuation.resume(with: early)
    }

    func resume(_ result: Result<Value, any Error>) {
        lock.lock()
        guard !resumed else { lock.unlock(); return }
        resumed = true
        guard let continuation else {
            early = result
            lock.unlock()
            return
        }
        self.continuation = nil
        lock.unlock()
        continuation.resume(with: result)
    }
}
