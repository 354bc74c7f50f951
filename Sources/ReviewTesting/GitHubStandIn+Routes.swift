import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// The endpoints the stand-in serves, one route each: the method, the path as GitHub's REST docs
/// write it, who may call it, and the handler that answers it. A new endpoint is one line here and
/// one handler in the file of its API area (`GitHubStandIn+Pulls.swift`, `+Conversation`,
/// `+Checks`, `+Contents`, `+App`).
extension GitHubStandIn {
    /// One endpoint.
    struct Route: Sendable {
        /// Who may call it, as GitHub decides: anyone, the App itself (a JWT), or an installation (its token).
        enum Caller: Sendable { case anyone, app, installation }

        let method: String
        /// The path's segments; `{name}` takes one segment, a last `{name*}` the rest of the path.
        let template: [String]
        let caller: Caller
        let answer: @Sendable (Router, Call) -> HTTPResponse

        init(_ method: String, _ path: String, _ caller: Caller, _ answer: @escaping @Sendable (Router, Call) -> HTTPResponse) {
            self.method = method
            self.template = path.split(separator: "/").map(String.init)
            self.caller = caller
            self.answer = answer
        }

        /// The path's parameters when `segments` fit the template.
        func match(_ segments: [String]) -> [String: String]? {
            var parameters: [String: String] = [:]
            for (index, part) in template.enumerated() {
                if part.hasPrefix("{"), part.hasSuffix("*}") {
                    guard index < segments.count else { return nil }
                    parameters[String(part.dropFirst().dropLast(2))] = segments[index...].joined(separator: "/")
                    return parameters
                }
                guard index < segments.count else { return nil }
                if part.hasPrefix("{") {
                    parameters[String(part.dropFirst().dropLast())] = segments[index]
                } else if part != segments[index] {
                    return nil
                }
            }
            return segments.count == template.count ? parameters : nil
        }
    }

    /// A request that matched a route, with the path's parameters.
    struct Call {
        let request: HTTPRequest
        let parameters: [String: String]

        subscript(_ name: String) -> String { parameters[name] ?? "" }
        func int(_ name: String) -> Int { Int(self[name]) ?? 0 }
        /// `owner/repo`.
        var repository: String { "\(self["owner"])/\(self["repo"])" }
        /// `owner/repo#number`: how the stand-in keys a pull request.
        var pullRequest: String { "\(repository)#\(self["pull_number"])" }
    }

    static let notFound: [String: String] = ["message": "Not Found"]

    static let routes: [Route] = [
        // The App itself.
        Route("GET", "app", .app) { router, _ in router.app() },
        Route("GET", "app/hook/deliveries", .app) { router, _ in router.hookDeliveries() },
        Route("POST", "app/hook/deliveries/{delivery_id}/attempts", .app) { router, call in router.redeliver(id: call.int("delivery_id")) },
        // The JWT is checked by the handler, which answers as GitHub does for this endpoint.
        Route("POST", "app/installations/{installation_id}/access_tokens", .anyone) { router, call in
            router.mintToken(call.request, installation: call.int("installation_id"))
        },
        Route("POST", "settings/apps/new", .anyone) { router, call in router.manifestForm(call.request) },
        Route("POST", "organizations/{org}/settings/apps/new", .anyone) { router, call in router.manifestForm(call.request) },
        Route("POST", "app-manifests/{code}/conversions", .anyone) { router, call in router.convertManifest(call.request, code: call["code"]) },
        // Repositories.
        Route("GET", "repos/{owner}/{repo}/compare/{basehead}", .installation) { router, call in router.compare(call.repository, call["basehead"]) },
        Route("GET", "repos/{owner}/{repo}/contents/{path*}", .installation) { router, call in
            router.contents(call.request, repoKey: call.repository, file: call["path"])
        },
        Route("GET", "repos/{owner}/{repo}/collaborators/{username}/permission", .installation) { router, call in
            router.permission(repoKey: call.repository, user: call["username"])
        },
        // Checks.
        Route("GET", "repos/{owner}/{repo}/commits/{ref}/check-runs", .installation) { router, call in
            router.listCheckRuns(call.request, repoKey: call.repository, ref: call["ref"])
        },
        Route("POST", "repos/{owner}/{repo}/check-runs", .installation) { router, call in router.saveCheckRun(call.request, repoKey: call.repository, id: nil)
        },
        Route("PATCH", "repos/{owner}/{repo}/check-runs/{check_run_id}", .installation) { router, call in
            router.saveCheckRun(call.request, repoKey: call.repository, id: call.int("check_run_id"))
        },
        // The conversation.
        Route("GET", "repos/{owner}/{repo}/issues/{pull_number}/comments", .installation) { router, call in
            router.listIssueComments(call.request, key: call.pullRequest)
        },
        Route("POST", "repos/{owner}/{repo}/issues/{pull_number}/comments", .installation) { router, call in
            router.createIssueComment(call.request, key: call.pullRequest)
        },
        Route("PATCH", "repos/{owner}/{repo}/issues/comments/{comment_id}", .installation) { router, call in
            router.editIssueComment(call.request, repoKey: call.repository, id: call.int("comment_id"))
        },
        Route("POST", "repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", .installation) { router, call in
            router.react(call.request, repoKey: call.repository, kind: "issues", id: call.int("comment_id"))
        },
        Route("GET", "repos/{owner}/{repo}/pulls/comments/{comment_id}", .installation) { router, call in
            router.reviewComment(repoKey: call.repository, id: call.int("comment_id"))
        },
        Route("POST", "repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions", .installation) { router, call in
            router.react(call.request, repoKey: call.repository, kind: "pulls", id: call.int("comment_id"))
        },
        // Pull requests.
        Route("GET", "repos/{owner}/{repo}/pulls/{pull_number}", .installation) { router, call in router.withPull(call) { router.pullOrDiff(call.request, $0) }
        },
        Route("GET", "repos/{owner}/{repo}/pulls/{pull_number}/files", .installation) { router, call in router.withPull(call) { router.files(call.request, $0) }
        },
        Route("GET", "repos/{owner}/{repo}/pulls/{pull_number}/reviews", .installation) { router, call in
            router.withPull(call) { _ in router.listReviews(call.request, call.pullRequest) }
        },
        Route("GET", "repos/{owner}/{repo}/pulls/{pull_number}/comments", .installation) { router, call in
            router.withPull(call) { _ in router.listComments(call.request, call.pullRequest) }
        },
        Route("POST", "repos/{owner}/{repo}/pulls/{pull_number}/reviews", .installation) { router, call in
            router.withPull(call) { router.createReview(call.request, key: call.pullRequest, pull: $0) }
        },
        Route("POST", "repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies", .installation) { router, call in
            router.withPull(call) { _ in router.reply(call.request, key: call.pullRequest, to: call.int("comment_id")) }
        },
        // Not GitHub: what the demo reads and seeds.
        Route("GET", "_standin/reviews", .anyone) { router, _ in router.recorded() },
        Route("POST", "_standin/comments", .anyone) { router, call in router.seedComment(call.request) },
    ]
}

extension GitHubStandIn.Router {
    /// A scripted fault or a rate limit first, as GitHub would answer before anything else; then
    /// the route, once its caller is who may call it; 404 for anything else.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.url.path
        state.withLockedValue { $0.requests.append("\(request.method) \(path)") }
        if let fault = state.withLockedValue({ state -> GitHubStandIn.Fault? in
            guard let index = state.faults.firstIndex(where: { $0.method == request.method && path.hasSuffix($0.pathSuffix) }) else { return nil }
            let fault = state.faults[index]
            state.faults[index].times -= 1
            if state.faults[index].times <= 0 { state.faults.remove(at: index) }
            return fault
        }) {
            return HTTPResponse(
                status: fault.status, headers: fault.headers.merging(["content-type": "application/json"]) { a, _ in a }, body: Data(fault.body.utf8))
        }
        if let limited = rateLimited(request) { return limited }
        let segments = path.split(separator: "/").map(String.init)
        for route in GitHubStandIn.routes where route.method == request.method {
            guard let parameters = route.match(segments) else { continue }
            switch route.caller {
            case .anyone: break
            case .app:
                guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "), validJWT(String(auth.dropFirst(7))) else {
                    return json(401, ["message": "A JSON web token could not be decoded"])
                }
            case .installation:
                guard authorized(request) else { return json(401, ["message": "Bad credentials"]) }
            }
            return route.answer(self, GitHubStandIn.Call(request: request, parameters: parameters))
        }
        return json(404, GitHubStandIn.notFound)
    }

    /// Answers for a pull request the stand-in serves; 404 for any other.
    func withPull(_ call: GitHubStandIn.Call, _ answer: (GitHubStandIn.Pull) -> HTTPResponse) -> HTTPResponse {
        guard let pull = state.withLockedValue({ $0.pulls[call.pullRequest] }) else { return json(404, GitHubStandIn.notFound) }
        return answer(pull)
    }
}
