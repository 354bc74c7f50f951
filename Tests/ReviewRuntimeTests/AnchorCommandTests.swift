import Foundation
import ReviewCore
import ReviewTesting
import Testing

@Suite struct AnchorCommandTests {
    @Test func printsWhatWouldBePosted() async throws {
        let fixture = PullRequestFixture.named("ky-small-single-file-edit")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("anchor-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let findings = #"""
            {"findings": [
              {"path": "source/core/Ky.ts", "side": "RIGHT", "line": 40, "quote": "if (text === '') {", "severity": "bug", "title": "Empty body", "body": "Handle it."},
              {"path": "source/core/Ky.ts", "side": "RIGHT", "line": 1, "quote": "const text = await response.text();\nif (text === '') {", "severity": "nit", "title": "Range", "body": "Two lines."},
              {"path": "missing.ts", "line": 1, "quote": "x", "severity": "nit", "title": "Elsewhere", "body": "Not in the diff."}
            ]}
            """#
        try Data(findings.utf8).write(to: folder.appendingPathComponent("findings.json"))
        let run = try await ProcessRun.run(
            try Tools.binary("reviewctl"),
            arguments: [
                "anchor", "--diff", fixture.folder.appendingPathComponent("pull.diff").path, "--findings", folder.appendingPathComponent("findings.json").path,
            ],
            environment: [:]
        )
        #expect(run.exitCode == 0, "\(run.stderrText)")
        let output = try JSONValue.parse(run.stdout)
        guard case .array(let comments)? = output["comments"], case .array(let body)? = output["bodyFindings"] else { Issue.record("shape"); return }
        #expect(comments.count == 2 && body.count == 1)
        let diff = DiffParser.parse(fixture.diffText)
        let line = diff.files[0].hunks.flatMap(\.lines).first { $0.text.contains("if (text === '') {") }?.newLine
        #expect(comments[0]["line"] == .number(Double(line ?? -1)) && comments[0]["side"] == .string("RIGHT") && comments[0]["finding"] == .number(0))
        #expect(comments[1]["start_line"] == .number(Double((line ?? 0) - 1)) && comments[1]["line"] == .number(Double(line ?? -1)))
        #expect(comments.allSatisfy { $0["position"] == nil })
        #expect(body[0]["finding"] == .number(2))

        let bad = try await ProcessRun.run(
            try Tools.binary("reviewctl"), arguments: ["anchor", "--diff", "/nonexistent", "--findings", "/nonexistent"], environment: [:])
        #expect(bad.exitCode != 0 && bad.stderrText.contains("cannot read the diff"))
    }
}
