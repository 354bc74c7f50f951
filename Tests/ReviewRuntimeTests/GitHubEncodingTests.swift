import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// What the client puts in a URL reaches GitHub as it was meant: each path segment and query value
/// percent-encoded on its own.
@Suite struct GitHubEncodingTests {
    @Test func aBaseBranchWithQueryCharactersReadsItsOwnConfig() async throws {
        let app = try await GitHubTestApp.start()
        let branch = "release/1.0+hotfix&x=1 #2"
        let secret = SyntheticPullRequest.File("config/aws.ts", [#"export const key = "AKIAABCDEFGHIJKLMNOP";"#])
        let fixture = try SyntheticPullRequest.write([secret], head: String(repeating: "e5", count: 20), baseRef: branch)
        app.standIn.setFile("sindresorhus/ky", ".github/prreview.yml", "walkthrough: false\nmax_comments: 0\n", ref: branch)
        let outcome = try await PullRequestReviewer(github: app.client(), model: RulesModel()).review(app.job(for: fixture), logger: .quiet)
        let reviews = app.standIn.reviews("sindresorhus/ky#731")
        await app.stop()
        #expect(outcome.status == .posted && outcome.walkthrough == nil, "the config on \(branch) was not read")
        #expect(reviews.first?.comments.isEmpty == true && outcome.bodyFindings == 1)
    }

    @Test(arguments: [("main", "main"), ("a&b=c+d", "a%26b%3Dc%2Bd"), ("feature/x y#1?", "feature%2Fx%20y%231%3F"), ("ünï", "%C3%BCn%C3%AF")])
    func valuesAreEncodedWhole(_ value: String, _ expected: String) {
        #expect(GitHubAPI.encoded(value) == expected)
        let url = GitHubAPI.url(URL(string: "https://ghe.example.com/api/v3/")!, ["repos", "o", "r", "contents", "dir", value], query: [("ref", value)])
        #expect(url.absoluteString == "https://ghe.example.com/api/v3/repos/o/r/contents/dir/\(expected)?ref=\(expected)")
    }
}
