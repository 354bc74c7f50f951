import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import _CryptoExtras

/// The Checks API: check runs listed for a ref, created and updated.
extension GitHubStandIn.Router {
    /// The Checks API for check runs: create, update, list for a ref. Documented rules kept:
    /// "You must use a GitHub App" with `checks: write` (403 otherwise); `name` and `head_sha`
    /// required; `status` one of queued, in_progress, completed; "Required if you provide
    /// completed_at or a status of completed" for `conclusion`, one of its eight values;
    /// `output` needs `title` and `summary`, each text at most 65535 characters.
    func listCheckRuns(_ request: HTTPRequest, repoKey: String, ref: String) -> HTTPResponse {
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        let name = query.first { $0.name == "check_name" }?.value
        let runs: [Any] = state.withLockedValue { state in
            state.checkRuns.values.filter { $0.repository == repoKey && $0.headSha == ref && (name == nil || $0.name == name) }
                .sorted { $0.id > $1.id }.map(\.json)
        }
        return json(200, ["total_count": runs.count, "check_runs": runs])
    }

    /// Creates a check run (`id` nil) or updates check run `id`.
    func saveCheckRun(_ request: HTTPRequest, repoKey: String, id given: Int?) -> HTTPResponse {
        let isUpdate = given != nil
        guard permissions(request)["checks"] == "write" else { return json(403, ["message": "Resource not accessible by integration"]) }
        guard let body = try? JSONValue.parse(request.body), case .object(let fields) = body else { return json(400, ["message": "Problems parsing JSON"]) }
        var run: GitHubStandIn.CheckRun
        if let id = given {
            guard let existing = state.withLockedValue({ $0.checkRuns[id].flatMap { $0.repository == repoKey ? $0 : nil } }) else {
                return json(404, ["message": "Not Found"])
            }
            guard existing.appSlug == GitHubStandIn.appSlug else { return json(403, ["message": "Invalid app_id"]) }
            run = existing
        } else {
            guard let name = fields["name"]?.stringValue, !name.isEmpty else { return reject("name is required") }
            guard let sha = fields["head_sha"]?.stringValue, sha.count == 40 else { return reject("head_sha is required") }
            let known = state.withLockedValue { state in state.pulls.values.contains { $0.commits.contains(sha) || $0.formerCommits.contains(sha) } }
            guard known else { return reject("No commit found for SHA: \(sha)") }
            run = GitHubStandIn.CheckRun(repository: repoKey, name: name, headSha: sha)
        }
        if let name = fields["name"]?.stringValue { run.name = name }
        if let external = fields["external_id"]?.stringValue { run.externalId = external }
        if let status = fields["status"]?.stringValue {
            guard ["queued", "in_progress", "completed"].contains(status) else { return reject("status is not included in the list") }
            run.status = status
        }
        if fields["completed_at"]?.stringValue != nil { run.status = "completed" }
        if let conclusion = fields["conclusion"]?.stringValue {
            let known = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"]
            guard known.contains(conclusion) else { return reject("conclusion is not included in the list") }
            run.conclusion = conclusion
            run.status = "completed"
        }
        if run.status == "completed", run.conclusion == nil { return reject("conclusion is required when status is completed") }
        if case .object(let output)? = fields["output"] {
            guard let title = output["title"]?.stringValue, let summary = output["summary"]?.stringValue else {
                return reject("output requires title and summary")
            }
            for (key, text) in [("title", title), ("summary", summary), ("text", output["text"]?.stringValue ?? "")] where text.count > 65_535 {
                return reject("output.\(key) is too long (maximum is 65535 characters)")
            }
            run.output = .init(title: title, summary: summary, text: output["text"]?.stringValue)
        }
        let saved = state.withLockedValue { state -> GitHubStandIn.CheckRun in
            if given == nil {
                state.nextId += 1
                run.id = state.nextId
            }
            state.checkRuns[run.id] = run
            return run
        }
        return json(isUpdate ? 200 : 201, saved.json)
    }
}
