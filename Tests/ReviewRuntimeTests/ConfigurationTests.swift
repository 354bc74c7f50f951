import Foundation
import ReviewCore
import ReviewTesting
import Testing

@testable import ReviewRuntime

/// Settings that cannot work are refused when the function starts, naming the variable — not
/// discovered pull request by pull request.
@Suite struct ConfigurationTests {
    static let base = ["UPSTASH_REDIS_REST_URL": "http://127.0.0.1:9", "UPSTASH_REDIS_REST_TOKEN": "t", "REVIEW_RECORD_URL": "http://127.0.0.1:9/r"]

    func load(_ extra: [String: String]) throws -> ReviewJobConfig { try ReviewJobConfig.load(ConfigReader(Self.base.merging(extra) { $1 })) }

    @Test func aHostedModelWithoutItsKeyIsRefusedAtStart() throws {
        for extra in [
            ["LLM_PROVIDER": "openai"], ["LLM_PROVIDER": "anthropic"],
            ["LLM_PROVIDER": "openai", "LLM_BASE_URL": "https://api.groq.com/openai/v1"],
            ["LLM_PROVIDER": "anthropic", "LLM_BASE_URL": "http://127.0.0.1:8080"],
        ] {
            #expect("\(extra)", performing: { try load(extra) }, throws: { ($0 as? ReviewError)?.message.contains("LLM_API_KEY is required") == true })
        }
        // With its key, or a local server (plain http, or loopback), it starts.
        #expect(try load(["LLM_PROVIDER": "openai", "LLM_API_KEY": "sk-x"]).llm.isHosted)
        #expect(try !load(["LLM_PROVIDER": "openai", "LLM_BASE_URL": "http://llama:8080/v1"]).llm.isHosted)
        #expect(try !load(["LLM_PROVIDER": "openai", "LLM_BASE_URL": "https://127.0.0.1:8443/v1"]).llm.isHosted)
        #expect(try load([:]).llm.provider == .rules)
    }
}

/// The README's table and each function's `env.example` name every variable `--help` lists (the
/// one list, itself checked against the code by `theEnvironmentListIsTheCodes`).
@Suite struct EnvironmentDocsTests {
    @Test func everyVariableIsInTheReadmeAndTheExamples() throws {
        let root = Tools.packageRoot
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let missing = EnvironmentHelp.all.filter { !readme.contains("`\($0.name)`") && !readme.contains("`\($0.name)=") }.map(\.name)
        #expect(missing.isEmpty, "not in the README: \(missing)")
        for (folder, reader) in [("webhook-ingest", EnvironmentHelp.Reader.ingest), ("review-job", .reviewJob)] {
            let example = try String(contentsOf: root.appendingPathComponent("functions/\(folder)/env.example"), encoding: .utf8)
            let named = Set(example.split(separator: "\n").compactMap { line in line.split(separator: "=", maxSplits: 1).first.map(String.init) })
            let absent = EnvironmentHelp.all.filter { $0.readers.contains(reader) && !named.contains($0.name) }.map(\.name)
            #expect(absent.isEmpty, "not in functions/\(folder)/env.example: \(absent)")
        }
    }
}
