import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// A one-time wake a platform timer holds: when, and what it will send.
package struct ScheduledWake: Sendable, Equatable {
    package var name: String
    package var at: Date
    /// The function ARN (EventBridge) or URL (Cloud Tasks) it calls.
    package var target: String
    package var body: Data
    /// EventBridge: the role it invokes as; Cloud Tasks: the OIDC identity it calls with.
    package var identity: String
}

/// EventBridge Scheduler's CreateSchedule (`POST /schedules/{Name}`) as AWS documents it
/// (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html): a SigV4
/// signature for the `scheduler` service, a name of 1–64 `[0-9a-zA-Z-_.]`, a `ScheduleExpression`
/// (`at(yyyy-mm-ddThh:mm:ss)` here), a `FlexibleTimeWindow` (`OFF`, or `FLEXIBLE` with 1–1,440
/// minutes), a `Target` with `Arn` and `RoleArn` and an `Input` of at most 8,192 characters,
/// `ActionAfterCompletion` `NONE` or `DELETE`; `ConflictException` (409) for a name the group
/// already has, `ValidationException` (400) for the rest. `fire(upTo:)` plays the clock: the due
/// one-time schedules, removed when they asked to be deleted after completion.
package final class EventBridgeSchedulerStandIn: Sendable {
    private struct Schedule {
        var wake: ScheduledWake
        var deleteAfter: Bool
    }

    package let server: HTTPServer
    private let schedules: NIOLockedValueBox<[String: Schedule]>
    private let calls: NIOLockedValueBox<Int>
    package var url: URL { URL(string: "http://127.0.0.1:\(server.port)")! }
    /// Every CreateSchedule request that reached it, accepted or not.
    package var requests: Int { calls.withLockedValue { $0 } }
    package var pending: [ScheduledWake] { schedules.withLockedValue { $0.values.map(\.wake).sorted { $0.at < $1.at } } }

    private init(server: HTTPServer, schedules: NIOLockedValueBox<[String: Schedule]>, calls: NIOLockedValueBox<Int>) {
        self.server = server
        self.schedules = schedules
        self.calls = calls
    }

    package static func start(
        credentials: AWSCredentials, region: String, now: @escaping @Sendable () -> Date = Date.init
    ) async throws
        -> EventBridgeSchedulerStandIn
    {
        let schedules = NIOLockedValueBox<[String: Schedule]>([:])
        let calls = NIOLockedValueBox(0)
        let signer = AWSSigV4(credentials: credentials, region: region, service: "scheduler")
        let server = try await HTTPServer.start(port: 0) { request in
            calls.withLockedValue { $0 += 1 }
            if let refused = AWSStandIn.refusal(request, signer: signer, now: now()) { return refused }
            func invalid(_ message: String) -> HTTPResponse { AWSStandIn.error(400, "ValidationException", message) }
            let parts = AWSStandIn.rawPath(request.url).split(separator: "/").map(String.init)
            guard request.method == "POST", parts.count == 2, parts[0] == "schedules" else {
                return AWSStandIn.error(404, "UnknownOperationException", "Unknown operation \(request.method) \(AWSStandIn.rawPath(request.url))")
            }
            let name = parts[1]
            guard (1...64).contains(name.count),
                name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) })
            else {
                return invalid(
                    "1 validation error detected: Value '\(name)' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+"
                )
            }
            guard let body = try? JSONValue.parse(request.body) else { return invalid("Could not parse the request body") }
            guard let expression = body["ScheduleExpression"]?.stringValue, let at = Self.at(expression) else {
                return invalid("Invalid Schedule Expression \(body["ScheduleExpression"]?.stringValue ?? "(missing)")")
            }
            guard let window = body["FlexibleTimeWindow"], let mode = window["Mode"]?.stringValue, ["OFF", "FLEXIBLE"].contains(mode) else {
                return invalid("FlexibleTimeWindow with Mode OFF or FLEXIBLE is required")
            }
            if mode == "FLEXIBLE" {
                guard case .number(let minutes)? = window["MaximumWindowInMinutes"], (1...1440).contains(minutes) else {
                    return invalid("MaximumWindowInMinutes must be 1 to 1440 when Mode is FLEXIBLE")
                }
            }
            if let zone = body["ScheduleExpressionTimezone"]?.stringValue, TimeZone(identifier: zone) == nil { return invalid("Invalid timezone \(zone)") }
            let after = body["ActionAfterCompletion"]?.stringValue ?? "NONE"
            guard ["NONE", "DELETE"].contains(after) else { return invalid("ActionAfterCompletion must be NONE or DELETE") }
            guard let target = body["Target"], let arn = target["Arn"]?.stringValue, let role = target["RoleArn"]?.stringValue,
                (1...1600).contains(arn.count), (1...1600).contains(role.count)
            else { return invalid("Target with Arn and RoleArn is required") }
            let input = target["Input"]?.stringValue ?? ""
            guard input.count <= 8192 else { return invalid("Input must be at most 8192 characters") }
            let added = schedules.withLockedValue { schedules -> Bool in
                guard schedules[name] == nil else { return false }
                schedules[name] = Schedule(
                    wake: ScheduledWake(name: name, at: at, target: arn, body: Data(input.utf8), identity: role), deleteAfter: after == "DELETE")
                return true
            }
            guard added else { return AWSStandIn.error(409, "ConflictException", "Schedule \(name) already exists.") }
            return .json(200, Data(#"{"ScheduleArn":"arn:aws:scheduler:\#(signer.region):123456789012:schedule/default/\#(name)"}"#.utf8))
        }
        return EventBridgeSchedulerStandIn(server: server, schedules: schedules, calls: calls)
    }

    /// The one-time schedules due by `date`, in time order; those made to be deleted after
    /// completion are gone afterwards.
    package func fire(upTo date: Date) -> [ScheduledWake] {
        schedules.withLockedValue { schedules in
            let due = schedules.values.filter { $0.wake.at <= date }.sorted { $0.wake.at < $1.wake.at }
            for schedule in due where schedule.deleteAfter { schedules[schedule.wake.name] = nil }
            return due.map(\.wake)
        }
    }

    package func stop() async { await server.stop() }

    /// `at(yyyy-mm-ddThh:mm:ss)`, read in UTC.
    static func at(_ expression: String) -> Date? {
        guard expression.hasPrefix("at("), expression.hasSuffix(")"), expression.count == 23 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: String(expression.dropFirst(3).dropLast()) + "Z")
    }
}

/// Cloud Tasks' `projects.locations.queues.tasks.create` and the metadata server's token endpoint,
/// as Google documents them: the token only with `Metadata-Flavor: Google` (403 otherwise); a
/// create needs that token as a bearer (401 UNAUTHENTICATED), a known queue (404 NOT_FOUND), a task
/// name `…/tasks/ID` with ID of 1–500 `[A-Za-z0-9_-]` under that queue and an `httpRequest` with an
/// http(s) URL and a base64 body (400 INVALID_ARGUMENT), and answers 409 ALREADY_EXISTS for a name
/// it has seen — created, run or deleted (Google keeps a name for about an hour after).
package final class CloudTasksStandIn: Sendable {
    package static let accessToken = "ya29.stand-in-token"
    package let server: HTTPServer
    private let tasks: NIOLockedValueBox<(pending: [String: ScheduledWake], seen: Set<String>)>
    private let tokenReads: NIOLockedValueBox<Int>
    package var url: URL { URL(string: "http://127.0.0.1:\(server.port)")! }
    package var pending: [ScheduledWake] { tasks.withLockedValue { $0.pending.values.sorted { $0.at < $1.at } } }
    package var tokensServed: Int { tokenReads.withLockedValue { $0 } }

    private init(server: HTTPServer, tasks: NIOLockedValueBox<(pending: [String: ScheduledWake], seen: Set<String>)>, tokenReads: NIOLockedValueBox<Int>) {
        self.server = server
        self.tasks = tasks
        self.tokenReads = tokenReads
    }

    package static func start(queue: String, now: @escaping @Sendable () -> Date = Date.init) async throws -> CloudTasksStandIn {
        let tasks = NIOLockedValueBox<(pending: [String: ScheduledWake], seen: Set<String>)>(([:], []))
        let tokenReads = NIOLockedValueBox(0)
        let server = try await HTTPServer.start(port: 0) { request in
            func error(_ code: Int, _ status: String, _ message: String) -> HTTPResponse {
                .json(
                    code,
                    (try? JSONEncoder().encode(
                        JSONValue.object(["error": .object(["code": .number(Double(code)), "message": .string(message), "status": .string(status)])])))
                        ?? Data())
            }
            let path = request.url.path
            if path == "/computeMetadata/v1/instance/service-accounts/default/token" {
                guard request.header("metadata-flavor") == "Google" else {
                    return HTTPResponse(status: 403, body: Data("Missing Metadata-Flavor:Google header.".utf8))
                }
                tokenReads.withLockedValue { $0 += 1 }
                return .json(200, Data(#"{"access_token":"\#(accessToken)","expires_in":3599,"token_type":"Bearer"}"#.utf8))
            }
            guard request.method == "POST", path.hasPrefix("/v2/"), path.hasSuffix("/tasks") else { return error(404, "NOT_FOUND", "Unknown method \(path)") }
            guard request.header("authorization") == "Bearer \(accessToken)" else {
                return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            }
            let parent = String(path.dropFirst(4).dropLast(6))
            guard parent == queue else { return error(404, "NOT_FOUND", "Requested entity was not found.") }
            guard let task = (try? JSONValue.parse(request.body))?["task"], let http = task["httpRequest"],
                let target = http["url"]?.stringValue, let targetURL = URL(string: target), ["http", "https"].contains(targetURL.scheme ?? "")
            else { return error(400, "INVALID_ARGUMENT", "task.httpRequest.url must be an http or https URL") }
            guard let name = task["name"]?.stringValue, name.hasPrefix(queue + "/tasks/") else {
                return error(400, "INVALID_ARGUMENT", "task.name must be \(queue)/tasks/TASK_ID")
            }
            let id = name.dropFirst(queue.count + 7)
            guard (1...500).contains(id.count),
                id.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
            else { return error(400, "INVALID_ARGUMENT", "Task ID must be 1-500 of [A-Za-z0-9_-]") }
            let body = http["body"]?.stringValue.map { Data(base64Encoded: $0) } ?? Data()
            guard let body else { return error(400, "INVALID_ARGUMENT", "httpRequest.body must be base64") }
            // scheduleTime is optional: without one the task runs at once.
            var at = now()
            if let time = task["scheduleTime"]?.stringValue {
                guard let date = ISO8601DateFormatter().date(from: time) else {
                    return error(400, "INVALID_ARGUMENT", "task.scheduleTime must be an RFC 3339 timestamp")
                }
                at = date
            }
            let identity = http["oidcToken"]?["serviceAccountEmail"]?.stringValue ?? ""
            let added = tasks.withLockedValue { state -> Bool in
                guard !state.seen.contains(name) else { return false }
                state.seen.insert(name)
                state.pending[name] = ScheduledWake(name: name, at: at, target: target, body: body, identity: identity)
                return true
            }
            guard added else { return error(409, "ALREADY_EXISTS", "Requested entity already exists") }
            return .json(200, (try? JSONEncoder().encode(task)) ?? Data())
        }
        return CloudTasksStandIn(server: server, tasks: tasks, tokenReads: tokenReads)
    }

    /// The tasks due by `date`, in time order, run (and gone).
    package func fire(upTo date: Date) -> [ScheduledWake] {
        tasks.withLockedValue { state in
            let due = state.pending.values.filter { $0.at <= date }.sorted { $0.at < $1.at }
            for task in due { state.pending[task.name] = nil }
            return due
        }
    }

    package func stop() async { await server.stop() }
}
