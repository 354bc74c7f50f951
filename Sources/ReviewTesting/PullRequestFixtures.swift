import Foundation
import ReviewCore

/// The real pull requests of `fixtures/pull-requests/<name>/`: `pull.json`, `files.json`, `pull.diff`.
package struct PullRequestFixture: Sendable {
    package let name: String
    package let folder: URL

    package init(name: String, folder: URL) {
        self.name = name
        self.folder = folder
    }

    /// Every fixture. None found stops the run: a test looping over fixtures must never pass on zero.
    package static var all: [PullRequestFixture] {
        let root = Tools.fixtures.appendingPathComponent("pull-requests")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let fixtures = names.sorted().compactMap { name in
            let folder = root.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent("pull.diff").path)
                ? PullRequestFixture(name: name, folder: folder) : nil
        }
        precondition(fixtures.count == expectedCount, "expected \(expectedCount) pull-request fixtures in \(root.path), found \(fixtures.count)")
        return fixtures
    }

    /// How many pull requests `fixtures/pull-requests` records.
    package static let expectedCount = 10

    package static func named(_ name: String) -> PullRequestFixture {
        PullRequestFixture(name: name, folder: Tools.fixtures.appendingPathComponent("pull-requests").appendingPathComponent(name))
    }

    package func data(_ file: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(file)) }

    /// The changed files as they are at head (`head/PATH`), where the fixture records them: path → text.
    package var headFiles: [String: String] {
        var found: [String: String] = [:]
        for entry in files where entry.status != "removed" {
            if let text = try? String(contentsOf: folder.appendingPathComponent("head").appendingPathComponent(entry.filename), encoding: .utf8) {
                found[entry.filename] = text
            }
        }
        return found
    }
    package var diffText: String { (try? data("pull.diff")).map { String(decoding: $0, as: UTF8.self) } ?? "" }

    /// `files.json` entries.
    package struct FileEntry: Decodable, Sendable {
        package let filename: String
        package let status: String
        package let additions: Int
        package let deletions: Int
        package let patch: String?
        package let previous_filename: String?
    }

    package var files: [FileEntry] { (try? JSONDecoder().decode([FileEntry].self, from: data("files.json"))) ?? [] }

    package var pull: JSONValue { (try? JSONValue.parse(data("pull.json"))) ?? .null }
}
