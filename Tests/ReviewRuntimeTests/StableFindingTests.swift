import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// A model words the same problem differently on every run; the reviewer still posts it once.
@Suite struct StableFindingTests {
    static func answer(title: String, body: String, severity: String, line: Int) -> ModelStandIn.Reply {
        .findings(
            #"{"summary":"","changes":[],"findings":[{"path":"config/aws.ts","side":"RIGHT","line":\#(line),"quote":"export const key = \"AKIAABCDEFGHIJKLMNOP\";","severity":"\#(severity)","title":"\#(title)","body":"\#(body)","suggestion":null}]}"#
        )
    }

    @Test func theSameIssueRewordedOverThreePushesIsOneComment() async throws {
        let standIn = try await ModelStandIn.start([
            Self.answer(title: "Hard-coded AWS key", body: "Move it to a secret.", severity: "security", line: 1),
            Self.answer(title: "Credential committed to the repo", body: "Rotate this key and load it from the environment.", severity: "bug", line: 4),
            Self.answer(title: "Leaked access key id", body: "This key is now public.", severity: "security", line: 9),
        ])
        let model = LLMConfig.load(
            EnvironmentReader(["LLM_PROVIDER": "openai", "LLM_BASE_URL": standIn.url.absoluteString + "/v1", "LLM_API_KEY": "sk-test", "LLM_MODEL": "m"])
        ).makeModel(transport: AsyncHTTPClientTransport())
        try await ConversationTests.World.with(model: model) { world in
            let secret = ConversationTests.firstSecret
            let heads = ConversationTests.heads
            for (index, head) in heads.prefix(3).enumerated() {
                // Each push adds lines above the key (it moves to line 1, 4, 9) and a file; the words change.
                let above = [0, 3, 8][index]
                let moved = SyntheticPullRequest.File(secret.path, (0..<above).map { "// note \($0)" } + secret.lines)
                let extra = (0..<index).map { SyntheticPullRequest.File("src/f\($0).ts", ["export const f\($0) = \($0);"]) }
                try world.push([moved] + extra, head: head)
                let action = index == 0 ? "opened" : "synchronize"
                await world.deliver("pull_request", try world.pullRequestEvent(action, head: head, before: index == 0 ? nil : heads[index - 1]))
                try await world.drain()
            }
            let inline = world.reviews.flatMap(\.comments)
            #expect(inline.count == 1, "\(inline.compactMap { $0["body"]?.stringValue })")
            #expect(standIn.requests.count == 3)
            // Every push touched the file, so every incremental review showed the key to the model.
            #expect(standIn.requests.allSatisfy { String(decoding: $0.body, as: UTF8.self).contains("AKIAABCDEFGHIJKLMNOP") })
        }
        await standIn.stop()
    }
}
