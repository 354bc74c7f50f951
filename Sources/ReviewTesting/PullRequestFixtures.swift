import Foundation
import ReviewCore

/// The real pull requests of `../shared/fixtures/pull-requests/<name>/`: `pull.json`, `files.json`, `pull.diff`.
public struct PullRequestFixture: Sendable {
    public let name: String
    public let folder: URL

    public init(name: String, folder: URL) {
        self.name = name
        self.folder = folder
    }

    public static var all: [PullRequestFixture] {
        let root = Tools.fixtures.appendingPathComponent("pull-requests")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().compactMap { name in
            let folder = root.appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: folder.appendingPathComponent("pull.diff").path) ? PullRequestFixture(name: name, folder: folder) : nil
        }
    }

    public static func named(_ name: String) -> PullRequestFixture {
        PullRequestFixture(name: name, folder: Tools.fixtures.appendingPathComponent("pull-requests").appendingPathComponent(name))
    }

    public func data(_ file: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(file)) }
    public var diffText: String { (try? data("pull.diff")).map { String(decoding: $0, as: UTF8.self) } ?? "" }

    /// `files.json` entries.
    public struct FileEntry: Decodable, Sendable {
        public let filename: String
        public let status: String
        public let additions: Int
        public let deletions: Int
        public let patch: String?
        public let previous_filename: String?
    }

    public var files: [FileEntry] { (try? JSONDecoder().decode([FileEntry].self, from: data("files.json"))) ?? [] }

    public var pull: JSONValue { (try? JSONValue.parse(data("pull.json"))) ?? .null }
}
