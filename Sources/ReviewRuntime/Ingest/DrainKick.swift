import Foundation
import Logging
import NIOConcurrencyHelpers
import ReviewCore

/// Asks `review-job` to drain now, so a review starts seconds after its webhook instead of at the
/// next scheduled drain, and no schedule has to run often while nothing happens. Set by
/// `REVIEW_JOB_KICK`:
/// - `lambda:NAME` (or an ARN): an AWS Lambda asynchronous invoke (`InvocationType: Event`), signed
///   with the function's own credentials (SigV4); Lambda queues it and answers 202 at once.
/// - `https://…`: an HTTP POST of `{"action":"drain"}` (OpenFaaS `/async-function/…`, a Knative
///   service, any endpoint), with `REVIEW_JOB_KICK_TOKEN` as a bearer token when set.
/// - `cloudtasks:projects/P/locations/L/queues/Q`: a Cloud Tasks task that POSTs the drain to
///   `REVIEW_JOB_KICK_URL` at once with an OIDC token of `REVIEW_JOB_KICK_SERVICE_ACCOUNT` (Cloud
///   Run: the drain runs inside that request, with its CPU), one task a second at most.
/// A kick that fails is logged, never an error: the job is already queued and the schedule drains it.
public struct DrainKick: Sendable {
    /// Where a kick goes: a Lambda function (async Invoke) or an HTTP endpoint.
    public enum Target: Sendable {
        case lambda(function: String, endpoint: URL, signer: AWSSigV4)
        case http(url: URL, token: String?)
        case cloudTasks(CloudTasksClient.Target)
    }

    public static let event = Data(#"{"action":"drain"}"#.utf8)

    public let target: Target
    /// How long the kick waits for its answer; after that it reports "waiting".
    public let timeout: TimeInterval
    let transport: any HTTPTransport
    let clock: WallClock
    private let tasks: CloudTasksClient?

    public init(target: Target, timeout: TimeInterval = 3, transport: any HTTPTransport, clock: WallClock = .system) {
        self.target = target
        self.timeout = timeout
        self.transport = transport
        self.clock = clock
        if case .cloudTasks(let tasksTarget) = target {
            tasks = CloudTasksClient(target: tasksTarget, transport: transport, timeout: timeout, clock: clock)
        } else {
            tasks = nil
        }
    }

    /// The kick target named by `REVIEW_JOB_KICK`, or nil when kicks are off.
    public static func load(_ env: EnvironmentReader) -> Target? {
        guard let value = env.optional("REVIEW_JOB_KICK") else { return nil }
        if value.hasPrefix("cloudtasks:") {
            return CloudTasksClient.Target.load(
                env, variable: "REVIEW_JOB_KICK", value: value, url: env.url("REVIEW_JOB_KICK_URL"), account: env.required("REVIEW_JOB_KICK_SERVICE_ACCOUNT")
            ).map { .cloudTasks($0) }
        }
        if value.hasPrefix("lambda:") {
            let function = String(value.dropFirst("lambda:".count))
            let region = env.required("AWS_REGION")
            let endpoint = env.url("AWS_ENDPOINT_URL_LAMBDA", default: "https://lambda.\(region.isEmpty ? "us-east-1" : region).amazonaws.com")
            if function.isEmpty { env.invalid("REVIEW_JOB_KICK must name a function after lambda:") }
            return .lambda(function: function, endpoint: endpoint, signer: AWSSigV4(credentials: .load(env), region: region, service: "lambda"))
        }
        guard let url = URL(string: value), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            env.invalid("REVIEW_JOB_KICK must be lambda:FUNCTION, an http(s) URL or cloudtasks:projects/P/locations/L/queues/Q")
            return nil
        }
        return .http(url: url, token: env.optional("REVIEW_JOB_KICK_TOKEN"))
    }

    /// Secrets the kick holds, for log scrubbing.
    public static func secrets(of target: Target?) -> [String] {
        switch target {
        case .lambda(_, _, let signer)?: [signer.credentials.secretAccessKey, signer.credentials.sessionToken].compactMap(\.self)
        case .http(_, let token)?: [token].compactMap(\.self)
        case .cloudTasks?, nil: []
        }
    }

    /// The request the kick sends (a Cloud Tasks kick is a task made by `CloudTasksClient`: nil).
    public func request() -> HTTPRequest? {
        switch target {
        case .cloudTasks: return nil
        case .lambda(let function, let endpoint, let signer):
            let url = endpoint.appendingPathComponent("2015-03-31/functions").absoluteString + "/" + AWSSigV4.encode(function) + "/invocations"
            let request = HTTPRequest(
                method: "POST", url: URL(string: url) ?? endpoint,
                headers: ["content-type": "application/json", "x-amz-invocation-type": "Event"], body: Self.event, timeout: timeout
            )
            return signer.sign(request, at: clock.now())
        case .http(let url, let token):
            // Answered at once by review-job serve, which drains in the background.
            var headers = ["content-type": "application/json", "prefer": "respond-async"]
            if let token { headers["authorization"] = "Bearer \(token)" }
            return HTTPRequest(method: "POST", url: url, headers: headers, body: Self.event, timeout: timeout)
        }
    }

    /// Sends the kick. Returns what happened, for the log: "sent" (2xx), "waiting" (the endpoint
    /// drains before answering and outlasted the timeout), or "failed: …".
    public func send(logger: Logger) async -> String {
        let outcome = await bounded { await attempt() }
        if outcome.hasPrefix("failed") {
            logger.warning("drain kick \(outcome); the job stays queued for the next drain")
        } else {
            logger.debug("drain kick \(outcome)")
        }
        return outcome
    }

    /// `work`'s answer, or "waiting" once the kick's timeout and two seconds more have passed without
    /// one: whatever the transport does, a delivery's answer never waits longer for its kick.
    private func bounded(_ work: @escaping @Sendable () async -> String) async -> String {
        let waiting = NIOLockedValueBox<CheckedContinuation<String, Never>?>(nil)
        let limit = timeout + 2
        return await withCheckedContinuation { continuation in
            waiting.withLockedValue { $0 = continuation }
            let take: @Sendable () -> CheckedContinuation<String, Never>? = {
                waiting.withLockedValue { state -> CheckedContinuation<String, Never>? in
                    defer { state = nil }; return state
                }
            }
            let worker = Task { await work() }
            let timer = Task {
                try? await Task.sleep(for: .seconds(limit))
                guard !Task.isCancelled, let late = take() else { return }
                worker.cancel()
                late.resume(returning: "waiting")
            }
            Task {
                let outcome = await worker.value
                timer.cancel()
                take()?.resume(returning: outcome)
            }
        }
    }

    private func attempt() async -> String {
        let outcome: String
        do {
            let response: HTTPResponse
            if let tasks {
                // One task a second: a burst of deliveries makes one drain request, not one each.
                let id = CloudTasksClient.name("prreview", queue: "kick", at: clock.now(), digits: 14)
                let created = try await tasks.create(id: id, at: nil, body: Self.event)
                response = created.status == 409 ? HTTPResponse(status: 200) : created
            } else {
                guard let request = request() else { throw ReviewError(.internal, "no request for this kick") }
                response = try await transport.send(request)
            }
            if (200..<300).contains(response.status) {
                outcome = "sent"
            } else {
                // The endpoint's own words, minus any secret it echoes: this text goes back to GitHub.
                let said = (try? JSONValue.parse(response.body))?["message"]?.stringValue ?? ""
                let message = Redaction.redact(String(said.prefix(200)), secrets: Self.secrets(of: target))
                outcome = "failed: HTTP \(response.status)" + (message.isEmpty ? "" : " \(message)")
            }
        } catch let error as ReviewError where error.code == .timeout {
            outcome = "waiting"
        } catch {
            outcome = "failed: \((error as? ReviewError)?.message ?? "\(type(of: error))")"
        }
        return outcome
    }
}
