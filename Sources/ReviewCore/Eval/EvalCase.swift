import Foundation

/// One labelled pull request of the eval set (`eval/cases/NAME/`): a real diff, perhaps with a
/// planted bug, its PR text, and the findings a good reviewer reports.
public struct EvalCase: Sendable, Equatable {
    /// A finding the case expects: on `path`, within new-side lines `start...end`.
    public struct Expected: Codable, Sendable, Equatable {
        public var path: String
        public var start: Int
        public var end: Int
        public var category: String

        public init(path: String, start: Int, end: Int, category: String) {
            self.path = path
            self.start = start
            self.end = end
            self.category = category
        }
    }

    /// The `case.json` next to the diff.
    struct Meta: Codable {
        var fixture: String?
        var title: String
        var body: String
        var language: String
        var expected: [Expected]
    }

    public var name: String
    public var title: String
    public var body: String
    public var language: String
    public var diff: String
    /// Empty for a clean case: every finding on it is a false positive.
    public var expected: [Expected]

    public init(name: String, title: String, body: String, language: String, diff: String, expected: [Expected]) {
        self.name = name
        self.title = title
        self.body = body
        self.language = language
        self.diff = diff
        self.expected = expected
    }

    /// Reads every case folder under `directory` (each holds `case.json` and `pull.diff`), by name.
    public static func load(from directory: URL) throws -> [EvalCase] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            throw ReviewError(.badInput, "cannot read the eval cases in \(directory.path): \(error.localizedDescription)")
        }
        return try names.compactMap { name -> EvalCase? in
            let folder = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("case.json").path) else { return nil }
            let meta: Meta
            do {
                meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
            } catch {
                throw ReviewError(.badInput, "\(name)/case.json is not a case (title, body, language, expected[path, start, end, category]): \(error)")
            }
            guard let diff = try? Data(contentsOf: folder.appendingPathComponent("pull.diff")) else {
                throw ReviewError(.badInput, "\(name) has no pull.diff")
            }
            for item in meta.expected where item.start < 1 || item.end < item.start {
                throw ReviewError(.badInput, "\(name)/case.json: expected lines \(item.start)-\(item.end) of \(item.path) are not a range")
            }
            return EvalCase(
                name: name, title: meta.title, body: meta.body, language: meta.language, diff: String(decoding: diff, as: UTF8.self),
                expected: meta.expected)
        }
    }
}

/// Where a reviewer put one finding, for scoring: the file and the new-side lines it covers (nil
/// when it is on deleted lines or nowhere in particular).
public struct EvalPrediction: Codable, Sendable, Equatable {
    public var path: String
    public var start: Int?
    public var end: Int?
    public var title: String

    public init(path: String, start: Int?, end: Int?, title: String) {
        self.path = path
        self.start = start
        self.end = end
        self.title = title
    }

    /// Where `finding` lands: the new-side lines the anchorer puts it on, else the line it named.
    public init(_ finding: Finding, anchorer: Anchorer) {
        switch anchorer.anchor(finding) {
        case .lines(let path, .right, let start, let end): self.init(path: path, start: start, end: end, title: finding.title)
        case .acrossSides(let path, _, let end): self.init(path: path, start: end, end: end, title: finding.title)
        case .lines(let path, .left, _, _): self.init(path: path, start: nil, end: nil, title: finding.title)
        case .body: self.init(path: finding.path, start: finding.line, end: finding.line, title: finding.title)
        }
    }

    /// The rule of Qodo's PR-Review-Bench: the right file and a line within the expected range.
    public func hits(_ expected: EvalCase.Expected) -> Bool {
        guard path == expected.path, let start, let end else { return false }
        return start <= expected.end && end >= expected.start
    }
}

/// Precision, recall and F1 over findings: a prediction is a true positive when it hits an
/// expected finding of its case; an expected finding is found when any prediction hits it.
public struct EvalScore: Codable, Sendable, Equatable {
    public var expected: Int
    public var predicted: Int
    public var truePositives: Int
    public var found: Int

    public init(expected: Int = 0, predicted: Int = 0, truePositives: Int = 0, found: Int = 0) {
        self.expected = expected
        self.predicted = predicted
        self.truePositives = truePositives
        self.found = found
    }

    /// One case's score.
    public init(expected: [EvalCase.Expected], predictions: [EvalPrediction]) {
        self.init(
            expected: expected.count, predicted: predictions.count,
            truePositives: predictions.filter { prediction in expected.contains(where: prediction.hits) }.count,
            found: expected.filter { item in predictions.contains { $0.hits(item) } }.count)
    }

    /// Of the findings reported, the share that were right (1 when none were reported).
    public var precision: Double { predicted == 0 ? 1 : Double(truePositives) / Double(predicted) }
    /// Of the findings expected, the share reported (1 when none were expected).
    public var recall: Double { expected == 0 ? 1 : Double(found) / Double(expected) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }

    public static func + (lhs: EvalScore, rhs: EvalScore) -> EvalScore {
        EvalScore(
            expected: lhs.expected + rhs.expected, predicted: lhs.predicted + rhs.predicted, truePositives: lhs.truePositives + rhs.truePositives,
            found: lhs.found + rhs.found)
    }
}
