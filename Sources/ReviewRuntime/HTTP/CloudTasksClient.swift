import Foundation
import ReviewCore

/// Creates Cloud Tasks HTTP tasks (`projects.locations.queues.tasks.create`) that POST to one of our
/// functions with an OIDC token, authorised by the instance's own service account: its access
/// token comes from the metadata server and is kept until a minute before it expires.
/// https://cloud.google.com/tasks/docs/reference/rest/v2/projects.locations.queues.tasks/create
public actor CloudTasksClient {
    /// Where tasks go and what they call.
    public struct Target: Sendable {
        /// `projects/P/locations/L/queues/Q`.
        public var queue: String
        /// The function's URL the task POSTs to.
        public var url: URL
        /// The account whose OIDC token the task calls with (one the function accepts).
        public var serviceAccount: String
        public var apiURL: URL
        public var metadataURL: URL

        /// `cloudtasks:projects/P/locations/L/queues/Q` in `variable`, calling `url` as `account`;
        /// nil (and the problem noted) when malformed.
        static func load(_ env: EnvironmentReader, variable: String, value: String, url: URL, account: String) -> Target? {
            let queue = String(value.dropFirst("cloudtasks:".count))
            let parts = queue.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 6, parts[0] == "projects", parts[2] == "locations", parts[4] == "queues", !parts.contains(where: \.isEmpty) else {
                env.invalid("\(variable) must be cloudtasks:projects/PROJECT/locations/LOCATION/queues/QUEUE")
                return nil
            }
            let metadataHost = env.optional("GCE_METADATA_HOST") ?? "metadata.google.internal"
            return Target(
                queue: queue, url: url, serviceAccount: account,
                apiURL: env.url("CLOUD_TASKS_API_URL", default: "https://cloudtasks.googleapis.com"),
                metadataURL: URL(string: "http://\(metadataHost)") ?? URL(string: "http://metadata.google.internal")!)
        }
    }

    public nonisolated let target: Target
    private let transport: any HTTPTransport
    private let clock: WallClock
    /// Each call's limit (the metadata server's token, the task's creation).
    private let timeout: TimeInterval
    private var accessToken: (value: String, expires: Date)?

    public init(target: Target, transport: any HTTPTransport, timeout: TimeInterval = 10, clock: WallClock = .system) {
        self.target = target
        self.transport = transport
        self.timeout = timeout
        self.clock = clock
    }

    /// Creates the task `id` (a name Cloud Tasks refuses twice for about an hour: 409), run at `at`
    /// or at once, that POSTs `body` as JSON. Answers Cloud Tasks' response.
    public func create(id: String, at: Date?, body: Data) async throws -> HTTPResponse {
        var task: [String: JSONValue] = [
            "name": .string("\(target.queue)/tasks/\(id)"),
            "httpRequest": .object([
                "url": .string(target.url.absoluteString), "httpMethod": .string("POST"),
                "headers": .object(["content-type": .string("application/json")]), "body": .string(body.base64EncodedString()),
                "oidcToken": .object(["serviceAccountEmail": .string(target.serviceAccount)]),
            ]),
        ]
        if let at { task["scheduleTime"] = .string(Self.rfc3339(at)) }
        let token = try await googleToken()
        return try await transport.send(
            HTTPRequest(
                method: "POST", url: URL(string: target.apiURL.absoluteString + "/v2/" + target.queue + "/tasks") ?? target.apiURL,
                headers: ["content-type": "application/json", "authorization": "Bearer \(token)"],
                body: try JSONEncoder().encode(JSONValue.object(["task": .object(task)])), timeout: timeout))
    }

    private func googleToken() async throws -> String {
        if let accessToken, accessToken.expires > clock.now() { return accessToken.value }
        let response = try await transport.send(
            HTTPRequest(
                url: target.metadataURL.appendingPathComponent("computeMetadata/v1/instance/service-accounts/default/token"),
                headers: ["metadata-flavor": "Google"], timeout: timeout))
        guard response.status == 200, let document = try? JSONValue.parse(response.body), let value = document["access_token"]?.stringValue else {
            throw ReviewError(.badConfig, "the metadata server gave no access token (HTTP \(response.status))")
        }
        var lifetime = 300.0
        if case .number(let seconds)? = document["expires_in"] { lifetime = seconds }
        accessToken = (value, clock.now().addingTimeInterval(max(0, lifetime - 60)))
        return value
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// `<prefix>-<yyyyMMddHHmmss>` cut to `length` digits of the time: what both Cloud Tasks task ids and
    /// EventBridge schedule names accept ([0-9A-Za-z_-], ≤ 64).
    static func name(_ prefix: String, queue: String, at date: Date, digits: Int) -> String {
        let safe = String(queue.unicodeScalars.filter { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }.prefix(32))
        return "\(prefix)-\(safe.isEmpty ? "q" : safe)-\(rfc3339(date).filter(\.isNumber).prefix(digits))"
    }
}
