import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import _CryptoExtras

/// The conversation: issue comments on pull requests, review comments by id, reactions, and who may write.
extension GitHubStandIn.Router {
    /// docs.github.com "Get repository permissions for a user": the legacy permission and the role.
    func permission(repoKey: String, user: String) -> HTTPResponse {
        let role = state.withLockedValue { $0.roles[user.lowercased()] } ?? "write"
        guard role != "unknown" else { return json(404, ["message": "Not Found"]) }
        let legacy = ["maintain": "write", "triage": "read"][role] ?? role
        return json(200, ["permission": legacy, "role_name": role, "user": ["login": user]])
    }

    /// A pull request's conversation comments; `since`: "only show results that were last
    /// updated after the given time" (ISO 8601).
    func listIssueComments(_ request: HTTPRequest, key: String) -> HTTPResponse {
        let since = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "since" }?.value
        var items = state.withLockedValue { $0.issueComments[key] ?? [] }
        if let since {
            guard let from = GitHubStandIn.date(since) else { return json(422, ["message": "Invalid value for `since`"]) }
            items = items.filter { $0.updatedAt.flatMap(GitHubStandIn.date).map { $0 >= from } ?? true }
        }
        let response = paged(request, items.map(\.json))
        let served = ((try? JSONSerialization.jsonObject(with: response.body)) as? [Any])?.count ?? 0
        state.withLockedValue { $0.listedIssueComments += served }
        return response
    }

    /// One review comment of the repository by id.
    func reviewComment(repoKey: String, id: Int) -> HTTPResponse {
        let found = state.withLockedValue { state in
            state.reviewComments.first { $0.key.hasPrefix(repoKey + "#") && $0.value.contains { $0.id == id } }?.value.first { $0.id == id }
        }
        return found.map { json(200, $0.json) } ?? json(404, ["message": "Not Found"])
    }

    /// "Body cannot be blank": GitHub refuses an issue comment without text (422), and bodies past 65,536 characters.
    func createIssueComment(_ request: HTTPRequest, key: String) -> HTTPResponse {
        guard state.withLockedValue({ $0.pulls[key] != nil }) else { return json(404, ["message": "Not Found"]) }
        guard let body = try? JSONValue.parse(request.body), case .object = body else { return json(400, ["message": "Problems parsing JSON"]) }
        guard let text = body["body"]?.stringValue, !text.isEmpty else { return reject("Body cannot be blank") }
        guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
        let comment = state.withLockedValue { state -> GitHubStandIn.Comment in
            state.nextId += 1
            let now = GitHubStandIn.timestamp(state.clock())
            var comment = GitHubStandIn.Comment.ours(id: state.nextId, body: text)
            (comment.createdAt, comment.updatedAt) = (now, now)
            state.issueComments[key, default: []].append(comment)
            return comment
        }
        return json(201, comment.json)
    }

    /// Only the author edits a comment here (an App may not rewrite people's words).
    func editIssueComment(_ request: HTTPRequest, repoKey: String, id: Int) -> HTTPResponse {
        guard let body = try? JSONValue.parse(request.body), let text = body["body"]?.stringValue else {
            return json(400, ["message": "Problems parsing JSON"])
        }
        guard !text.isEmpty else { return reject("Body cannot be blank") }
        guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
        return state.withLockedValue { state -> HTTPResponse in
            for (key, items) in state.issueComments where key.hasPrefix(repoKey + "#") {
                guard let index = items.firstIndex(where: { $0.id == id }) else { continue }
                guard items[index].author == .bot else { return json(403, ["message": "Resource not accessible by integration"]) }
                state.issueComments[key]?[index].body = text
                state.issueComments[key]?[index].updatedAt = GitHubStandIn.timestamp(state.clock())
                return json(200, state.issueComments[key]?[index].json ?? [:])
            }
            return json(404, ["message": "Not Found"])
        }
    }

    /// GitHub's reaction contents; another is 422. A repeated reaction answers 200 with the existing one.
    func react(_ request: HTTPRequest, repoKey: String, kind: String, id: Int) -> HTTPResponse {
        let allowed: Set<String> = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]
        guard let content = (try? JSONValue.parse(request.body))?["content"]?.stringValue, allowed.contains(content) else {
            return reject("content must be one of +1, -1, laugh, confused, heart, hooray, rocket, eyes")
        }
        return state.withLockedValue { state -> HTTPResponse in
            let store = kind == "issues" ? state.issueComments : state.reviewComments
            guard store.contains(where: { $0.key.hasPrefix(repoKey + "#") && $0.value.contains { $0.id == id } }) else {
                return json(404, ["message": "Not Found"])
            }
            let entry = "\(kind) \(id) \(content)"
            if state.reactions.contains(entry) { return json(200, ["content": content]) }
            state.reactions.append(entry)
            return json(201, ["content": content])
        }
    }
}
