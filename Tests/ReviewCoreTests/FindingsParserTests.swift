import Foundation
import ReviewCore
import Testing

@Suite struct FindingsParserTests {
    static let paths: Set<String> = ["src/app.py", "docs/a\nb.md"]

    static func finding(_ fields: [String: String], line: Int? = 3) -> String {
        var all = ["path": "src/app.py", "severity": "bug", "quote": "x = 1", "title": "Off by one", "body": "The loop stops early."]
        all.merge(fields) { $1 }
        var json = all.map { "\"\($0.key)\": \(String(decoding: try! JSONEncoder().encode($0.value), as: UTF8.self))" }
        if let line { json.append("\"line\": \(line)") }
        return "{" + json.joined(separator: ", ") + "}"
    }

    static func parse(_ text: String) throws -> FindingsParser.Parsed {
        try FindingsParser.parse(text, paths: paths).get()
    }

    @Test func aValidAnswerGivesItsFindingsAndSummary() throws {
        let parsed = try Self.parse(#"{"summary": "Adds a loop.", "findings": [\#(Self.finding([:]))]}"#)
        #expect(parsed.summary == "Adds a loop." && parsed.errors.isEmpty)
        #expect(
            parsed.findings == [
                Finding(path: "src/app.py", side: .right, line: 3, quote: "x = 1", severity: .bug, title: "Off by one", body: "The loop stops early.")
            ])
    }

    @Test func aFencedAnswerIsRead() throws {
        let parsed = try Self.parse("```json\n{\"findings\": [\(Self.finding([:]))]}\n```\n")
        #expect(parsed.findings.count == 1 && parsed.errors.isEmpty)
    }

    @Test func notJSONIsAnInvalidOutputError() {
        let error = #expect(throws: ReviewError.self) { try Self.parse("I found no problems.") }
        #expect(error?.code == .modelInvalidOutput && error?.message == "the model's answer is not valid JSON")
    }

    @Test func noFindingsArrayIsSaid() throws {
        let parsed = try Self.parse(#"{"summary": "fine"}"#)
        #expect(parsed.findings.isEmpty && parsed.summary == "fine" && parsed.errors == ["the answer has no findings array"])
    }

    /// Each bad finding is dropped with a reason naming it; the good one beside it is kept.
    @Test(arguments: [
        (#"{"path": "src/app.py"}"#, "finding 0 is invalid"),
        (finding(["severity": "critical"]), "severity 'critical' is not one of"),
        (finding(["title": ""]), "title and body must not be empty"),
        (finding(["path": "elsewhere.py"]), "names elsewhere.py, which is not in the reviewed diff"),
        (finding([:], line: nil).replacingOccurrences(of: "}", with: #", "line": "three"}"#), "finding 0 is invalid"),
    ])
    func badFindingsAreDroppedWithTheirReason(_ bad: String, _ reason: String) throws {
        let parsed = try Self.parse(#"{"findings": [\#(bad), \#(Self.finding(["title": "Kept"]))]}"#)
        #expect(parsed.findings.map(\.title) == ["Kept"])
        #expect(parsed.errors.count == 1 && parsed.errors[0].contains(reason), "\(parsed.errors)")
    }

    @Test func sideSeverityCaseAndEscapedPathsAreAccepted() throws {
        let shown = ReviewPrompt.displayPath("docs/a\nb.md")
        #expect(shown != "docs/a\nb.md")
        let parsed = try Self.parse(#"{"findings": [\#(Self.finding(["severity": "SECURITY", "side": "left", "path": shown]))]}"#)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.findings.first?.path == "docs/a\nb.md" && parsed.findings.first?.side == .left && parsed.findings.first?.severity == .security)
    }

    @Test func longTextIsCut() throws {
        let parsed = try Self.parse(
            #"{"findings": [\#(Self.finding(["title": String(repeating: "t", count: 500), "body": String(repeating: "b", count: 9000)]))]}"#)
        #expect(parsed.findings.first?.title.count == 200 && parsed.findings.first?.body.count == 4000)
    }
}

extension FindingsParserTests {
    /// The walkthrough's lines: kept for files the model was shown, by either spelling of the path.
    @Test func fileSummariesAreReadForShownFilesOnly() throws {
        let shown = ReviewPrompt.displayPath("docs/a\nb.md")
        let parsed = try Self.parse(
            #"{"summary":"s","findings":[],"changes":[{"path":"src/app.py","summary":"adds a loop"},{"path":"\#(shown.replacingOccurrences(of: "\\", with: "\\\\"))","summary":"docs"},{"path":"other.py","summary":"x"},{"path":"src/app.py","summary":""}]}"#
        )
        #expect(parsed.fileSummaries == ["src/app.py": "adds a loop", "docs/a\nb.md": "docs"])
    }
}
