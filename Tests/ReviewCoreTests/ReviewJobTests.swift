import Foundation
import ReviewCore
import Testing

/// Each kind of job carries exactly what it needs, and the stored form is the one jobs queued before
/// the kinds became types were written in, so they still run.
@Suite struct ReviewJobTests {
    static let pr = PullRequestRef(owner: "octo", repo: "cat", number: 7, installationId: 42)
    static let at = Date(timeIntervalSince1970: 1_800_000_000)
    static let comment = ReviewJob.Comment(id: 9, author: "mona", association: "MEMBER", allowed: true, text: "", mentioned: true, inReviewThread: false)

    @Test func everyKindSurvivesItsStoredForm() throws {
        let jobs = [
            ReviewJob(
                Self.pr, .review(.init(head: String(repeating: "a", count: 40), base: String(repeating: "b", count: 40))), deliveryId: "d", enqueuedAt: Self.at),
            ReviewJob(Self.pr, .review(.init(head: String(repeating: "c", count: 40), base: "b", incremental: true)), deliveryId: "d", enqueuedAt: Self.at),
            ReviewJob(Self.pr, .command(.ask(question: "why?"), Self.comment), deliveryId: "d", enqueuedAt: Self.at),
            ReviewJob(Self.pr, .reply(threadRoot: 77, Self.comment), deliveryId: "d", enqueuedAt: Self.at),
        ]
        for job in jobs { #expect(try ReviewJob.decode(job.encoded()) == job) }
        #expect(jobs.map(\.kindName) == ["full", "incremental", "command", "reply"])
        #expect(jobs[0].id == "octo%2Fcat%237%40" + String(repeating: "a", count: 40) && jobs[2].id == "octo%2Fcat%237%2Fcomment%2F9")
        #expect(jobs.map(\.isAutomatic) == [true, true, false, false] && jobs[2].review == nil && jobs[0].comment == nil)
    }

    /// Jobs written before: flat, `before`/`after` on pushes, the command and thread root inside `comment`.
    @Test func jobsQueuedBeforeStillDecode() throws {
        let push =
            #"{"owner":"octo","repo":"cat","prNumber":7,"installationId":42,"headSha":"\#(String(repeating: "a", count: 40))","baseSha":"b","kind":"incremental","before":"x","after":"y","deliveryId":"d","enqueuedAt":"2027-01-15T08:00:00Z"}"#
        let job = try ReviewJob.decode(Data(push.utf8))
        #expect(job.review == ReviewJob.Review(head: String(repeating: "a", count: 40), base: "b", incremental: true) && job.pullRequest == Self.pr)
        let command =
            #"{"owner":"octo","repo":"cat","prNumber":7,"installationId":42,"headSha":"","baseSha":"","kind":"command","deliveryId":"d","enqueuedAt":"2027-01-15T08:00:00Z","comment":{"id":9,"author":"mona","association":"MEMBER","allowed":true,"command":{"pause":{}},"text":"","mentioned":true,"inReviewThread":false}}"#
        guard case .command(let said, let comment) = try ReviewJob.decode(Data(command.utf8)).work else { Issue.record("not a command job"); return }
        #expect(said == .pause && comment.author == "mona")
        // The stored form is still readable as before: one flat object.
        let stored =
            try JSONSerialization.jsonObject(with: ReviewJob(Self.pr, .reply(threadRoot: 77, Self.comment), deliveryId: "d", enqueuedAt: Self.at).encoded())
            as? [String: Any]
        #expect(
            stored?["kind"] as? String == "reply" && (stored?["comment"] as? [String: Any])?["threadRoot"] as? Int == 77 && stored?["prNumber"] as? Int == 7)
    }

    @Test func aJobMissingWhatItsKindNeedsIsRefusedByName() {
        let base =
            #""owner":"octo","repo":"cat","prNumber":7,"installationId":42,"headSha":"","baseSha":"","deliveryId":"d","enqueuedAt":"2027-01-15T08:00:00Z""#
        let comment = #""comment":{"id":9,"author":"mona","association":"MEMBER","allowed":true,"text":"","mentioned":true,"inReviewThread":false}"#
        for (kind, says) in [
            ("command", "must carry its command"), ("reply", "must name its thread"), ("rebase", "must be full, incremental, command or reply"),
        ] {
            let error = #expect(throws: ReviewError.self) { try ReviewJob.decode(Data("{\(base),\"kind\":\"\(kind)\",\(comment)}".utf8)) }
            #expect(error?.code == .badInput && error?.message.contains(says) == true, "\(kind): \(error?.message ?? "")")
        }
    }
}
