import Foundation
import ReviewCore

/// The Checks API calls of one review: find this App's check run on a head, create one, update it.
extension GitHubClient {
    /// A check run's fields, for creating or updating it (nil fields are left out).
    public struct CheckRunFields: Encodable, Sendable {
        public var name: String?
        public var headSha: String?
        public var externalId: String?
        public var status: String?
        public var conclusion: String?
        public var startedAt: Date?
        public var completedAt: Date?
        public var output: CheckRunText.Output?

        public init(
            name: String? = nil, headSha: String? = nil, externalId: String? = nil, status: String? = nil, conclusion: String? = nil,
            startedAt: Date? = nil, completedAt: Date? = nil, output: CheckRunText.Output? = nil
        ) {
            self.name = name
            self.headSha = headSha
            self.externalId = externalId
            self.status = status
            self.conclusion = conclusion
            self.startedAt = startedAt
            self.completedAt = completedAt
            self.output = output
        }

        enum CodingKeys: String, CodingKey {
            case name, status, conclusion, output
            case headSha = "head_sha"
            case externalId = "external_id"
            case startedAt = "started_at"
            case completedAt = "completed_at"
        }
    }

    /// The id of this App's latest check run named `name` on `head`, if there is one.
    public func checkRun(_ job: ReviewJob, named name: String, head: String, app: AppIdentity) async throws -> Int? {
        let url = GitHubAPI.url(apiURL, ["repos", job.owner, job.repo, "commits", head, "check-runs"], query: [("check_name", name), ("per_page", "100")])
        let response = try await send(job, "GET", url: url, what: "listing check runs")
        guard case .array(let runs)? = try JSONValue.parse(response.body, what: "check runs")["check_runs"] else { return nil }
        let ours = runs.first { $0["app"]?["slug"]?.stringValue == app.slug && $0["name"]?.stringValue == name }
        return ours.flatMap { JSONFieldReader($0).value(at: "id") }.flatMap { if case .number(let id) = $0 { Int(id) } else { nil } }
    }

    public func createCheckRun(_ job: ReviewJob, _ fields: CheckRunFields) async throws -> Int {
        let response = try await send(
            job, "POST", "repos/\(job.owner)/\(job.repo)/check-runs", body: try JSONEncoder.iso.encode(fields), what: "creating the check run")
        return Self.id(response)
    }

    public func updateCheckRun(_ job: ReviewJob, id: Int, _ fields: CheckRunFields) async throws {
        _ = try await send(
            job, "PATCH", "repos/\(job.owner)/\(job.repo)/check-runs/\(id)", body: try JSONEncoder.iso.encode(fields), what: "updating the check run")
    }
}
