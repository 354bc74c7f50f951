import Foundation

/// Reads a model's answer against the findings schema, keeping what validates and saying what did not.
public enum FindingsParser {
    /// What an answer held: the valid findings, the summary, and why each invalid finding was dropped.
    public struct Parsed: Sendable, Equatable {
        public var findings: [Finding]
        public var summary: String?
        public var errors: [String]
        /// The model's one line per file shown (for the walkthrough), by path.
        public var fileSummaries: [String: String]

        public init(findings: [Finding], summary: String?, errors: [String], fileSummaries: [String: String] = [:]) {
            self.findings = findings
            self.summary = summary
            self.errors = errors
            self.fileSummaries = fileSummaries
        }
    }

    /// - Parameter paths: the files the model was shown; findings for other files are dropped.
    public static func parse(_ text: String, paths: Set<String>) -> Result<Parsed, ReviewError> {
        guard let document = try? JSONValue.parse(Data(unfenced(text).utf8), what: "model output") else {
            return .failure(ReviewError(.modelInvalidOutput, "the model's answer is not valid JSON"))
        }
        return .success(parse(document, paths: paths))
    }

    /// A model's JSON with the Markdown fence some models put around it taken off.
    public static func unfenced(_ text: String) -> String {
        var candidate = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if candidate.hasPrefix("```") {
            candidate = candidate.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().joined(separator: "\n")
            if let end = candidate.range(of: "```", options: .backwards) { candidate = String(candidate[..<end.lowerBound]) }
        }
        return candidate
    }

    /// Reads an already-parsed answer; findings for files outside `paths` are dropped with a reason.
    public static func parse(_ document: JSONValue, paths: Set<String>) -> Parsed {
        // The prompt shows control characters in file names as escapes: either spelling names the file.
        var known: [String: String] = [:]
        for path in paths {
            known[ReviewPrompt.displayPath(path)] = path
        }
        for path in paths { known[path] = path }
        var errors: [String] = []
        var findings: [Finding] = []
        guard case .array(let items)? = document["findings"] else {
            return Parsed(findings: [], summary: document["summary"]?.stringValue, errors: ["the answer has no findings array"])
        }
        for (number, item) in items.enumerated() {
            let reader = JSONFieldReader(item)
            do throws(ReviewError) {
                let named = try reader.string("path")
                guard let path = known[named] else {
                    errors.append("finding \(number) names \(ReviewPrompt.displayPath(String(named.prefix(200)))), which is not in the reviewed diff")
                    continue
                }
                let severityText = try reader.string("severity")
                guard let severity = Finding.Severity(rawValue: severityText.lowercased()) else {
                    throw ReviewError.badInput("severity '\(severityText.prefix(40))' is not one of bug, security, performance, maintainability, nit")
                }
                let sideText = try reader.optionalString("side")?.uppercased()
                let line: Int? = reader.value(at: "line") == nil ? nil : try reader.int("line")
                let quote = try reader.string("quote")
                let title = try reader.string("title")
                let body = try reader.string("body")
                guard !title.isEmpty, !body.isEmpty else { throw ReviewError.badInput("title and body must not be empty") }
                findings.append(
                    Finding(
                        path: path, side: sideText.flatMap(DiffSide.init(rawValue:)) ?? .right, line: line, quote: quote, severity: severity,
                        title: String(title.prefix(200)), body: String(body.prefix(4000)), suggestion: try reader.optionalString("suggestion")
                    ))
            } catch {
                errors.append("finding \(number) is invalid: \(error.message)")
            }
        }
        var fileSummaries: [String: String] = [:]
        if case .array(let changes)? = document["changes"] {
            for change in changes {
                guard let named = change["path"]?.stringValue, let path = known[named], let line = change["summary"]?.stringValue, !line.isEmpty else {
                    continue
                }
                fileSummaries[path] = String(line.prefix(200))
            }
        }
        return Parsed(findings: findings, summary: document["summary"]?.stringValue, errors: errors, fileSummaries: fileSummaries)
    }
}
