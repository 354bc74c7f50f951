import ArgumentParser
import Foundation
import ReviewCore
import ReviewRuntime

/// `reviewctl eval`: the configured reviewer over the labelled cases, scored.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score the configured reviewer (LLM_* variables; default the built-in rules) on labelled pull requests.",
        discussion: """
            Each case folder holds pull.diff and case.json (title, body, language, expected findings as path, \
            start and end line, category). A finding counts only on the right file and a line within the expected \
            range; precision, recall and F1 are over all findings of all cases.
            """
    )

    @Option(help: "The folder of case folders.")
    var cases = "eval/cases"

    @Option(help: "Only the cases whose name contains this.")
    var only: String?

    @Option(help: "Also write the report as JSON to this file.")
    var json: String?

    func run() async throws {
        var loaded = try EvalCase.load(from: URL(fileURLWithPath: cases))
        if let only { loaded = loaded.filter { $0.name.contains(only) } }
        guard !loaded.isEmpty else { throw ValidationError("no cases in \(cases)\(only.map { " matching \($0)" } ?? "")") }
        let env = EnvironmentReader()
        let llm = LLMConfig.load(env)
        try env.validate()
        let report = try await EvalRunner(model: llm.makeModel(transport: AsyncHTTPClientTransport())).run(loaded)
        print(EvalRunner.table(report))
        if let json {
            try JSONEncoder.pretty.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }
}
