import Foundation
import Logging
import ReviewCore

/// Asks the platform to start a drain at a given time, so work left for later — a retry due at a
/// known time, the lease of a job whose worker may die — is taken within a minute of falling due
/// even when no process of ours is running then (Lambda between invocations, Cloud Run scaled to
/// zero). Set by `REVIEW_JOB_WAKE`:
/// - `scheduler:self` (or a function ARN): an EventBridge Scheduler one-time schedule
///   (`at(…)`, `ActionAfterCompletion: DELETE`) that invokes review-job with `{"action":"drain"}`,
///   as the role `REVIEW_JOB_WAKE_ROLE_ARN`, signed with the function's own credentials.
///   https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
/// - `cloudtasks:projects/P/locations/L/queues/Q`: a Cloud Tasks task with a `scheduleTime` that
///   POSTs the drain to `REVIEW_JOB_WAKE_URL` with an OIDC token of `REVIEW_JOB_WAKE_SERVICE_ACCOUNT`,
///   authorised by the instance's own service account (the metadata server's token).
///   https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues.tasks/create
///
/// Wakes are whole minutes, named after the queue and the minute, so any number of workers asking
/// for the same minute make one (the platform answers the others "already exists"), and a process
/// asks for each minute once. Nothing is asked while the queue is empty: an idle deployment makes
/// no wake. A wake that cannot be made is logged, never an error: the hourly schedule still drains.
public actor DrainWake {
    public enum Target: Sendable {
        /// `function`: nil for the function being run (the ARN Lambda gives each invocation).
        case eventBridge(function: String?, roleArn: String, endpoint: URL, signer: AWSSigV4)
        case cloudTasks(CloudTasksClient.Target)
    }

    public static let event = Data(#"{"action":"drain"}"#.utf8)
    /// A wake is asked for at the end of a drain, off any webhook's path: it may take its time.
    static let callTimeout: TimeInterval = 30

    public nonisolated let target: Target
    private let queueName: String
    private let transport: any HTTPTransport
    private let clock: WallClock
    /// Minutes this process has already asked for.
    private var asked: Set<String> = []
    /// The function being run, learnt from its invocations (for `scheduler:self`).
    private var invokedFunction: String?
    private let tasks: CloudTasksClient?

    public init(target: Target, queueName: String, transport: any HTTPTransport, clock: WallClock = .system) {
        self.target = target
        self.queueName = queueName
        self.transport = transport
        self.clock = clock
        if case .cloudTasks(let tasksTarget) = target {
            tasks = CloudTasksClient(target: tasksTarget, transport: transport, timeout: Self.callTimeout, clock: clock)
        } else {
            tasks = nil
        }
    }

    /// The wake target named by `REVIEW_JOB_WAKE`, or nil when wakes are off.
    public static func load(_ env: EnvironmentReader) -> Target? {
        guard let value = env.optional("REVIEW_JOB_WAKE") else { return nil }
        if value.hasPrefix("scheduler:") {
            let function = String(value.dropFirst("scheduler:".count))
            let region = env.required("AWS_REGION")
            let endpoint = env.url("AWS_ENDPOINT_URL_SCHEDULER", default: "https://scheduler.\(region.isEmpty ? "us-east-1" : region).amazonaws.com")
            if function.isEmpty { env.invalid("REVIEW_JOB_WAKE must name a function ARN, or self, after scheduler:") }
            return .eventBridge(
                function: function == "self" ? nil : function, roleArn: env.required("REVIEW_JOB_WAKE_ROLE_ARN"), endpoint: endpoint,
                signer: AWSSigV4(credentials: .load(env), region: region, service: "scheduler"))
        }
        if value.hasPrefix("cloudtasks:") {
            return CloudTasksClient.Target.load(
                env, variable: "REVIEW_JOB_WAKE", value: value, url: env.url("REVIEW_JOB_WAKE_URL"), account: env.required("REVIEW_JOB_WAKE_SERVICE_ACCOUNT")
            ).map { .cloudTasks($0) }
        }
        env.invalid("REVIEW_JOB_WAKE must be scheduler:self, scheduler:FUNCTION_ARN or cloudtasks:projects/P/locations/L/queues/Q")
        return nil
    }

    /// Secrets the wake holds, for log scrubbing.
    public static func secrets(of target: Target?) -> [String] {
        guard case .eventBridge(_, _, _, let signer)? = target else { return [] }
        return [signer.credentials.secretAccessKey, signer.credentials.sessionToken].compactMap(\.self)
    }

    /// The function an invocation ran as (Lambda's invoked-function ARN).
    public func learn(invokedFunction arn: String?) {
        if let arn { invokedFunction = arn }
    }

    /// What a drain left decides the wake: the earliest due work (a delayed job or a lease), or —
    /// a drain that ran out of time with work left — the next minute.
    public func after(_ report: DrainReport, logger: Logger) async {
        if let next = report.nextDrain(now: clock.now()) { await wake(at: next, logger: logger) }
    }

    /// A drain at the first whole minute at or after `due` (and after now). Answers what happened:
    /// "scheduled", "already scheduled", "asked before" or "failed: …".
    @discardableResult
    public func wake(at due: Date, logger: Logger) async -> String {
        let minute = Self.minute(atOrAfter: max(due, clock.now().addingTimeInterval(1)))
        let name = CloudTasksClient.name("prreview", queue: queueName, at: minute, digits: 12)
        guard !asked.contains(name) else { return "asked before" }
        let outcome: String
        do {
            let response: HTTPResponse
            if let tasks {
                response = try await tasks.create(id: name, at: minute, body: Self.event)
            } else {
                response = try await transport.send(try request(name: name, at: minute))
            }
            switch response.status {
            case 200..<300: outcome = "scheduled"
            case 409: outcome = "already scheduled"  // another worker asked for this minute
            default:
                let said = (try? JSONValue.parse(response.body)).flatMap { $0["message"]?.stringValue ?? $0["error"]?["message"]?.stringValue } ?? ""
                outcome = "failed: HTTP \(response.status) \(Redaction.redact(String(said.prefix(200)), secrets: Self.secrets(of: target)))"
            }
        } catch {
            outcome = "failed: \(ReviewError.from(error).message)"
        }
        if outcome.hasPrefix("failed") {
            logger.warning("could not ask for a drain later; the hourly drain will take the work", metadata: ["wake": "\(outcome)"])
        } else {
            asked.insert(name)
            logger.info("drain asked for later", metadata: ["at": "\(CloudTasksClient.rfc3339(minute))", "wake": "\(outcome)"])
        }
        return outcome
    }

    /// The CreateSchedule request for EventBridge Scheduler.
    private func request(name: String, at minute: Date) throws -> HTTPRequest {
        guard case .eventBridge(let function, let roleArn, let endpoint, let signer) = target else {
            throw ReviewError(.internal, "not an EventBridge wake")
        }
        guard let arn = function ?? invokedFunction else { throw ReviewError(.badConfig, "the function's ARN is not known yet") }
        let body: JSONValue = .object([
            "ScheduleExpression": .string("at(\(CloudTasksClient.rfc3339(minute).dropLast()))"),  // at(yyyy-mm-ddThh:mm:ss), in UTC
            "ScheduleExpressionTimezone": .string("UTC"),
            "FlexibleTimeWindow": .object(["Mode": .string("OFF")]),
            "ActionAfterCompletion": .string("DELETE"),
            "Target": .object(["Arn": .string(arn), "RoleArn": .string(roleArn), "Input": .string(String(decoding: Self.event, as: UTF8.self))]),
        ])
        let request = HTTPRequest(
            method: "POST", url: endpoint.appendingPathComponent("schedules").appendingPathComponent(name),
            headers: ["content-type": "application/json"], body: try JSONEncoder().encode(body), timeout: Self.callTimeout)
        return signer.sign(request, at: clock.now())
    }

    static func minute(atOrAfter date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.up) * 60)
    }

}
