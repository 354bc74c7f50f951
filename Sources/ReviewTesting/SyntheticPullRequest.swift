import Foundation
import ReviewCore

/// A pull request made up for a test — hostile file names, planted secrets — written as a fixture
/// folder (`pull.json`, `files.json`, `pull.diff`) in a temporary directory, in the shapes GitHub
/// returns, so the stand-in serves it like a recorded one. `pull.json` starts from a real fixture's.
package enum SyntheticPullRequest {
    /// One added file: its path and its lines.
    package struct File: Sendable {
        package var path: String
        package var lines: [String]

        package init(_ path: String, _ lines: [String]) {
            self.path = path
            self.lines = lines
        }
    }

    /// Writes the fixture; `head` becomes `head.sha` (the PR stays ky #731, so two heads are two pushes).
    package static func write(
        _ files: [File], head: String, title: String = "A change", body: String = "", baseRef: String? = nil, modified: Bool = false
    ) throws
        -> PullRequestFixture
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("synthetic-pr-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard case .object(var pull) = PullRequestFixture.named("ky-small-single-file-edit").pull, case .object(var headObject)? = pull["head"] else {
            throw ReviewError.badInput("the ky-small-single-file-edit fixture is missing")
        }
        headObject["sha"] = .string(head)
        pull["head"] = .object(headObject)
        if let baseRef, case .object(var base)? = pull["base"] {
            base["ref"] = .string(baseRef)
            pull["base"] = .object(base)
        }
        pull["title"] = .string(title)
        pull["body"] = .string(body)
        pull["changed_files"] = .number(Double(files.count))
        var diff = ""
        var entries: [JSONValue] = []
        for file in files {
            let a = gitPath("a/" + file.path), b = gitPath("b/" + file.path)
            // Added files, or (`modified`) files whose one existing line is kept and the lines added after it.
            let patch =
                modified
                ? "@@ -1,1 +1,\(file.lines.count + 1) @@\n // existing\n" + file.lines.map { "+" + $0 }.joined(separator: "\n")
                : "@@ -0,0 +1,\(file.lines.count) @@\n" + file.lines.map { "+" + $0 }.joined(separator: "\n")
            diff +=
                modified
                ? "diff --git \(a) \(b)\nindex 1111111..2222222 100644\n--- \(a)\n+++ \(b)\n\(patch)\n"
                : "diff --git \(a) \(b)\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ \(b)\n\(patch)\n"
            entries.append(
                .object([
                    "filename": .string(file.path), "status": .string(modified ? "modified" : "added"), "additions": .number(Double(file.lines.count)),
                    "deletions": .number(0), "changes": .number(Double(file.lines.count)), "patch": .string(patch),
                ]))
        }
        try JSONEncoder().encode(JSONValue.object(pull)).write(to: folder.appendingPathComponent("pull.json"))
        try JSONEncoder().encode(JSONValue.array(entries)).write(to: folder.appendingPathComponent("files.json"))
        try Data(diff.utf8).write(to: folder.appendingPathComponent("pull.diff"))
        return PullRequestFixture(name: "synthetic", folder: folder)
    }

    /// A path as git writes it in a diff header: C-quoted when it holds a control character,
    /// a quote, a backslash or a non-ASCII byte.
    static func gitPath(_ path: String) -> String {
        let bytes = Array(path.utf8)
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 >= 0x80 }) else { return path }
        var out = "\""
        for byte in bytes {
            switch byte {
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x20..<0x7F: out += String(UnicodeScalar(byte))
            default: out += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
