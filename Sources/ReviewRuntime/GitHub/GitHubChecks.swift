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
    public func checkRun(_ repository: RepositoryRef, named name: String, head: String, app: AppIdentity) async throws -> Int? {
        struct Runs: Decodable {
            struct Run: Decodable {
                struct App: Decodable { let slug: String? }
                let id: Int
                let name: String?
                let app: App?
            }
            let check_runs: [Run]
        }
        let runs = try await get(
            Runs.self, repository, ["commits", head, "check-runs"], query: [("check_name", name), ("per_page", "100")], what: "listing check runs")
        return runs.check_runs.first { $0.app?.slug == app.slug && $0.name == name }?.id
    }

    public func createCheckRun(_ repository: RepositoryRef, _ fields: CheckRunFields) async throws -> Int {
        try await write("POST", repository, ["check-runs"], fields, what: "creating the check run")
    }

    public func updateCheckRun(_ repository: RepositoryRef, id: Int, _ fields: CheckRunFields) async throws {
        try await write("PATCH", repository, ["check-runs", "\(id)"], fields, what: "updating the check run")
    }
}
