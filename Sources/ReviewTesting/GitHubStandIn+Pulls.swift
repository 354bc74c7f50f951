import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import _CryptoExtras

/// Pull requests: the pull request or its diff, its files, commits compared, reviews and review comments.
extension GitHubStandIn.Router {
    func pullOrDiff(_ request: HTTPRequest, _ pull: GitHubStandIn.Pull) -> HTTPResponse {
        if request.header("accept")?.contains("diff") == true {
            let diff = pull.fixture.diffText
            let lines = diff.split(separator: "\n", omittingEmptySubsequences: false).count
            if pull.forceTooLarge || lines > 20_000 || pull.fixture.files.count > 300 {
                return json(
                    406,
                    [
                        "message": "Sorry, the diff exceeded the maximum number of lines (20000)",
                        "errors": [["resource": "PullRequest", "field": "diff", "code": "too_large"]],
                    ])
            }
            return HTTPResponse(status: 200, headers: ["content-type": "text/plain; charset=utf-8"], body: Data(diff.utf8))
        }
        guard case .object(var object) = pull.fixture.pull, case .object(var head)? = object["head"] else { return json(500, ["message": "bad fixture"]) }
        head["sha"] = .string(pull.head)
        object["head"] = .object(head)
        return HTTPResponse(
            status: 200, headers: ["content-type": "application/json"], body: (try? JSONEncoder().encode(JSONValue.object(object))) ?? Data())
    }

    func files(_ request: HTTPRequest, _ pull: GitHubStandIn.Pull) -> HTTPResponse {
        let all = (try? JSONSerialization.jsonObject(with: pull.fixture.data("files.json"))) as? [Any] ?? []
        // "Responses include a maximum of 3000 files."
        return paged(request, Array(all.prefix(3000)))
    }

    /// `GET /compare/{base}...{head}` between two commits the stand-in knows: the pull request's
    /// base or one of its commits. An unknown commit is a 404 (a force-pushed-away `before`).
    func compare(_ repo: String, _ range: String) -> HTTPResponse {
        let ends = range.components(separatedBy: "...")
        let pulls = state.withLockedValue { $0.pulls.filter { $0.key.hasPrefix(repo + "#") }.map(\.value) }
        guard ends.count == 2, let pull = pulls.first(where: { $0.commits.contains(ends[1]) }) else { return json(404, ["message": "Not Found"]) }
        let (base, head) = (ends[0], ends[1])
        let baseSha = (try? JSONFieldReader(pull.fixture.pull).string("base.sha")) ?? ""
        let headFiles = pull.snapshots[head] ?? []
        let status: String
        var files: [JSONValue]
        if base == baseSha {
            (status, files) = ("ahead", headFiles)
        } else if let from = pull.commits.firstIndex(of: base), let to = pull.commits.firstIndex(of: head) {
            // What changed between the two commits: files whose patch differs, either way round.
            let before = Self.patchesByPath(pull.snapshots[base] ?? [])
            let after = Self.patchesByPath(headFiles)
            let changed = Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }
            files = headFiles.filter { changed.contains(Self.filename($0)) }
            files += (pull.snapshots[base] ?? []).filter { changed.contains(Self.filename($0)) && after[Self.filename($0)] == nil }
            status = from == to ? "identical" : from < to ? "ahead" : "behind"
        } else if pull.formerCommits.contains(base) {
            (status, files) = ("diverged", headFiles)
        } else {
            return json(404, ["message": "Not Found"])
        }
        // "The response includes up to 300 changed files for the entire comparison."
        return json(200, ["status": status, "ahead_by": 1, "files": files.prefix(300).map(\.foundation)])
    }

    private static func filename(_ entry: JSONValue) -> String { entry["filename"]?.stringValue ?? "" }

    /// path → its patch ("" for a file without one), of one commit's file list.
    private static func patchesByPath(_ entries: [JSONValue]) -> [String: String] {
        Dictionary(entries.map { (filename($0), $0["patch"]?.stringValue ?? "") }) { $1 }
    }

    func listReviews(_ request: HTTPRequest, _ key: String) -> HTTPResponse {
        let (reviews, others) = state.withLockedValue { ($0.reviews[key] ?? [], $0.othersReviews[key] ?? []) }
        let ours: [Any] = reviews.map {
            [
                "id": $0.id, "body": $0.body, "commit_id": $0.commitId, "state": $0.event == "PENDING" ? "PENDING" : "COMMENTED",
                "user": GitHubStandIn.Author.bot.json,
            ]
        }
        return paged(request, others.map(\.json) + ours)
    }

    func listComments(_ request: HTTPRequest, _ key: String) -> HTTPResponse {
        paged(request, state.withLockedValue { $0.reviewComments[key] ?? [] }.map(\.json))
    }

    /// `POST /pulls/{n}/comments/{id}/replies`: the id must be a top-level review comment of this
    /// pull request ("Replies to replies are not supported"), and a body is required.
    func reply(_ request: HTTPRequest, key: String, to root: Int) -> HTTPResponse {
        guard let text = (try? JSONValue.parse(request.body))?["body"]?.stringValue, !text.isEmpty else { return reject("body is required") }
        guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
        return state.withLockedValue { state -> HTTPResponse in
            guard let target = state.reviewComments[key]?.first(where: { $0.id == root }) else { return json(404, ["message": "Not Found"]) }
            guard target.inReplyTo == nil else {
                state.rejected.append("Replies to replies are not supported")
                return json(422, ["message": "Validation Failed", "errors": ["Replies to replies are not supported"]])
            }
            state.nextId += 1
            var reply = GitHubStandIn.Comment.ours(id: state.nextId, body: text)
            (reply.path, reply.inReplyTo) = (target.path ?? "", root)
            state.reviewComments[key, default: []].append(reply)
            return json(201, reply.json)
        }
    }

    func createReview(_ request: HTTPRequest, key: String, pull: GitHubStandIn.Pull) -> HTTPResponse {
        guard let body = try? JSONValue.parse(request.body), case .object = body else { return json(400, ["message": "Problems parsing JSON"]) }
        let commit = body["commit_id"]?.stringValue ?? pull.head
        // "commit_id: The SHA of the commit that needs a review" — any commit of the pull request.
        guard pull.commits.contains(commit) else { return reject("commit_id is not part of the pull request") }
        // "By leaving this blank, you set the review action state to PENDING."
        let event = body["event"]?.stringValue ?? "PENDING"
        guard ["COMMENT", "APPROVE", "REQUEST_CHANGES", "PENDING"].contains(event) else {
            return reject("event must be COMMENT, APPROVE or REQUEST_CHANGES")
        }
        let text = body["body"]?.stringValue ?? ""
        guard text.count <= 65_536 else { return reject("Body is too long (maximum is 65536 characters)") }
        // "Required when using REQUEST_CHANGES or COMMENT for the event parameter."
        guard event == "APPROVE" || event == "PENDING" || !text.isEmpty else { return reject("Body is required for \(event)") }
        var comments: [JSONValue] = []
        if case .array(let items)? = body["comments"] { comments = items }
        for comment in comments {
            guard let path = comment["path"]?.stringValue, let sides = pull.lines[path] else { return reject("Path could not be resolved") }
            // "The text of a single comment … body: string, Required."
            guard let commentBody = comment["body"]?.stringValue, !commentBody.isEmpty else { return reject("comment body is required") }
            guard commentBody.count <= 65_536 else { return reject("comment body is too long") }
            if case .number(let position)? = comment["position"], comment["line"] == nil {
                // The deprecated `position`: lines down from the file's first `@@` line, within its patch.
                guard position >= 1, Int(position) < pull.patchLines[path, default: 0] else { return reject("Position could not be resolved") }
                continue
            }
            guard case .number(let line)? = comment["line"] else { return reject("line is required") }
            let side = comment["side"]?.stringValue ?? "RIGHT"
            guard let hunk = sides[side]?[Int(line)] else { return reject("Line could not be resolved") }
            if case .number(let start)? = comment["start_line"] {
                // "start_side … can be LEFT or RIGHT": a range may start on the deleted side and end on the added one.
                let startSide = comment["start_side"]?.stringValue ?? side
                guard startSide != side || start < line, let startHunk = sides[startSide]?[Int(start)], startHunk == hunk else {
                    return reject("start_line must be part of the same hunk as the line.")
                }
            }
        }
        let id = state.withLockedValue { state -> Int in
            state.nextId += 1
            let reviewId = state.nextId
            state.reviews[key, default: []].append(GitHubStandIn.RecordedReview(id: reviewId, commitId: commit, event: event, body: text, comments: comments))
            for comment in comments {
                state.nextId += 1
                var posted = GitHubStandIn.Comment.ours(id: state.nextId, body: comment["body"]?.stringValue ?? "")
                (posted.reviewId, posted.path, posted.commitId) = (reviewId, comment["path"]?.stringValue ?? "", .some(commit))
                if case .number(let line)? = comment["line"] { posted.line = Int(line) }
                posted.diffHunk = "@@ (the stand-in keeps no hunk text) @@"
                state.reviewComments[key, default: []].append(posted)
            }
            return reviewId
        }
        return json(200, ["id": id, "state": "COMMENTED", "commit_id": commit, "body": text])
    }
}
