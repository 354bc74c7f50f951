import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// `reviewctl eval`: the labelled cases are sound, and the scoring is exactly what a scripted model earns.
@Suite struct EvalTests {
    static let folder = Tools.packageRoot.appendingPathComponent("eval/cases")
    static var cases: [EvalCase] { (try? EvalCase.load(from: folder)) ?? [] }

    /// The new-side text of an expected finding's first line.
    static func plantedText(_ item: EvalCase.Expected, in diff: UnifiedDiff) -> String? {
        diff.file(item.path)?.hunks.flatMap(\.lines).first { $0.kind == .added && $0.newLine == item.start }.map { String($0.code) }
    }

    @Test func theCasesAreRealDiffsWithPlantedLines() throws {
        let cases = Self.cases
        let planted = cases.filter { !$0.expected.isEmpty }
        #expect(planted.count >= 30 && cases.count - planted.count >= 10, "\(planted.count) planted, \(cases.count - planted.count) clean")
        #expect(Set(planted.map(\.language)).count >= 4, "\(Set(planted.map(\.language)))")
        #expect(
            Set(planted.flatMap(\.expected).map(\.category)).isSuperset(of: [
                "off-by-one", "nil-handling", "injection", "secret", "race", "resource-leak", "error-handling",
            ]))
        for item in cases {
            let diff = DiffParser.parse(item.diff)
            #expect(!diff.files.isEmpty, "\(item.name)")
            // Every hunk holds as many lines per side as its header says: the planting kept the diff whole.
            for file in diff.files {
                for hunk in file.hunks {
                    #expect(hunk.lines.filter { $0.kind != .deleted }.count == hunk.newCount, "\(item.name) \(file.path) @@ +\(hunk.newStart)")
                    #expect(hunk.lines.filter { $0.kind != .added }.count == hunk.oldCount, "\(item.name) \(file.path) @@ -\(hunk.oldStart)")
                }
            }
            // Each expected range is added lines of the diff: a reviewer can comment on every one.
            let index = HunkIndex(diff)
            for expected in item.expected {
                for line in expected.start...expected.end {
                    #expect(index.isCommentable(path: expected.path, line: line, side: .right), "\(item.name) \(expected.path):\(line)")
                }
                #expect(Self.plantedText(expected, in: diff) != nil, "\(item.name): line \(expected.start) is not an added line")
            }
        }
    }

    /// A model scripted per case: the planted finding on every case whose index is a multiple of
    /// three, that plus a finding on a line outside the range when the index leaves 1, nothing when
    /// it leaves 2; on the clean ky-small case one false alarm, on other clean cases nothing.
    @Test func theScoresAreWhatTheScriptEarns() async throws {
        let cases = Self.cases
        let planted = cases.filter { !$0.expected.isEmpty }
        struct Script: Sendable { var marker: String; var answer: String }
        func finding(_ path: String, _ line: Int, _ quote: String) -> String {
            let quoted = String(decoding: try! JSONEncoder().encode(quote), as: UTF8.self)
            return #"{"path":"\#(path)","side":"RIGHT","line":\#(line),"quote":\#(quoted),"severity":"bug","title":"Scripted","body":"b","suggestion":null}"#
        }
        var scripts: [Script] = []
        var predicted = 0, right = 0, found = 0
        for (index, item) in planted.enumerated() {
            let diff = DiffParser.parse(item.diff)
            let expected = item.expected[0]
            let text = try #require(Self.plantedText(expected, in: diff))
            // A line of the same file outside every expected range, with text found once in the diff.
            let all = diff.files.flatMap { file in file.hunks.flatMap(\.lines).map { (file.path, $0) } }
            let elsewhere = try #require(
                all.first { path, line in
                    path == expected.path && line.kind == .added && !(expected.start...expected.end).contains(line.newLine ?? 0)
                        && Finding.normalise(line.code).count > 3
                        && all.filter { $0.1.kind != .deleted && Finding.normalise($0.1.code) == Finding.normalise(line.code) }.count == 1
                }
                    ?? all.first { path, line in
                        line.kind == .added && path != expected.path && Finding.normalise(line.code).count > 3
                            && all.filter { $0.1.kind != .deleted && Finding.normalise($0.1.code) == Finding.normalise(line.code) }.count == 1
                    }, "\(item.name): no other added line")
            let findings: [String]
            switch index % 3 {
            case 0: findings = [finding(expected.path, expected.start, text)]
            case 1: findings = [finding(expected.path, expected.start, text), finding(elsewhere.0, elsewhere.1.newLine ?? 0, String(elsewhere.1.code))]
            default: findings = []
            }
            predicted += findings.count
            right += index % 3 == 2 ? 0 : 1
            found += index % 3 == 2 ? 0 : 1
            scripts.append(
                Script(marker: "+\(expected.start) | \(text)\n", answer: #"{"summary":"","changes":[],"findings":[\#(findings.joined(separator: ","))]}"#))
        }
        // The clean ky-small case: its own line 115, which one planted case rewrites and the others keep beside their marker.
        let kyLine = "+115 | \t\t\t\t\tconst text = await response.text();\n"
        let falseAlarm = finding("source/core/Ky.ts", 116, "if (text === '') {")
        predicted += 1
        let script = scripts
        let model = try await ModelStandIn.start([
            .computed { prompt in
                if let match = script.first(where: { prompt.contains($0.marker) }) { return match.answer }
                if prompt.contains(kyLine) { return #"{"summary":"","changes":[],"findings":[\#(falseAlarm)]}"# }
                return #"{"summary":"","changes":[],"findings":[]}"#
            }
        ])
        let reviewer = LLMConfig.load(
            EnvironmentReader([
                "LLM_PROVIDER": "openai", "LLM_BASE_URL": model.url.absoluteString + "/v1", "LLM_API_KEY": "sk-test", "LLM_MODEL": "scripted",
                "LLM_PRICE_INPUT_PER_MTOK": "3", "LLM_PRICE_OUTPUT_PER_MTOK": "15",
            ])
        ).makeModel(transport: AsyncHTTPClientTransport())
        let report = try await EvalRunner(model: reviewer).run(cases)
        let calls = model.requests.count
        await model.stop()
        #expect(report.total == EvalScore(expected: planted.count, predicted: predicted, truePositives: right, found: found))
        #expect(report.precision == Double(right) / Double(predicted) && report.recall == Double(found) / Double(planted.count))
        #expect(abs(report.f1 - 2 * report.precision * report.recall / (report.precision + report.recall)) < 1e-12)
        #expect(report.usage.inputTokens == 1000 * calls && report.usage.outputTokens == 200 * calls)
        #expect(abs((report.usage.costUSD ?? 0) - Double(calls) * (1000 * 3 + 200 * 15) / 1e6) < 1e-9)
        #expect(report.cases.first { $0.name == "clean-ky-small-single-file-edit" }?.score == EvalScore(expected: 0, predicted: 1, truePositives: 0, found: 0))
        let table = EvalRunner.table(report)
        #expect(table.contains("total (\(cases.count) cases)") && table.contains("openai-compatible · scripted"))
    }

    @Test func theRulesFindEveryPlantedSecretAndTheCommandPrintsAndWrites() async throws {
        let report = try await EvalRunner(model: RulesModel()).run(Self.cases)
        let secrets = report.cases.filter { $0.expected.contains { $0.category == "secret" } }
        #expect(secrets.count >= 3 && secrets.allSatisfy { $0.score.found == $0.score.expected }, "\(secrets.map(\.name))")

        let json = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString.prefix(8)).json")
        defer { try? FileManager.default.removeItem(at: json) }
        let run = try await ProcessRun.run(
            try Tools.binary("reviewctl"), arguments: ["eval", "--cases", Self.folder.path, "--only", "yaml", "--json", json.path], environment: [:])
        #expect(run.exitCode == 0, "\(run.stderrText)")
        #expect(run.stdoutText.contains("total (3 cases)") && run.stdoutText.contains("yaml-token-in-workflow"), "\(run.stdoutText)")
        let written = try JSONValue.parse(Data(contentsOf: json))
        guard case .array(let writtenCases)? = written["cases"] else { Issue.record("no cases in the JSON"); return }
        #expect(written["total"]?["expected"] == .number(3) && writtenCases.first?["name"] == .string("yaml-action-on-moving-branch"))
        let none = try await ProcessRun.run(try Tools.binary("reviewctl"), arguments: ["eval", "--cases", "/nonexistent"], environment: [:])
        #expect(none.exitCode != 0 && none.stderrText.contains("cannot read the eval cases in /nonexistent"), "\(none.stderrText)")
    }
}
