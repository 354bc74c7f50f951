import Foundation
import ReviewCore

/// Reads the head version of the files a review covers, so the model sees the lines around each
/// hunk: in the diff's order, as many as the model's budget could use, a few at a time, each once
/// per job. A file GitHub will not serve (gone, a submodule, too large) or that is not text is
/// reviewed without; a transient failure fails the job so it is retried.
struct HeadFileReader {
    let github: GitHubClient
    /// The largest file read (a bigger one could only be cut by the planner); GitHub sends content
    /// for files up to 1 MB, and says the size of a bigger one without sending it.
    static let maxFileBytes = 1_000_000
    /// Files read per job at most (`HEAD_FILES_MAX`): the GitHub calls of a job with thousands of
    /// changed files stay this many plus a few.
    var maxFiles = 40
    /// Bytes read per job at most (`HEAD_FILES_MAX_BYTES`): no file is started once they are spent.
    var maxBytes = 4_000_000
    static let concurrency = 4

    /// The files worth reading: changed in place (an added file is all in its hunks), text, with
    /// hunks, as many as the model's budget could use and at most `maxFiles`.
    static func candidates(_ diff: UnifiedDiff, budgetTokens: Int, maxFiles: Int = .max) -> [String] {
        var paths: [String] = []
        var spent = 0
        for file in diff.files where file.status != .removed && file.status != .added && !file.isBinary && !file.hunks.isEmpty {
            spent += file.hunks.reduce(0) { $0 + ReviewPlanner.estimateTokens($1) }
            guard spent <= budgetTokens, paths.count < maxFiles else { break }
            paths.append(file.path)
        }
        return paths
    }

    func read(_ repository: RepositoryRef, head: String, diff: UnifiedDiff, budgetTokens: Int) async throws -> [String: HeadFile] {
        let paths = Self.candidates(diff, budgetTokens: budgetTokens, maxFiles: maxFiles)
        guard !paths.isEmpty else { return [:] }
        var heads: [String: HeadFile] = [:]
        var bytes = 0
        try await withThrowingTaskGroup(of: (String, (HeadFile, Int)?).self) { group in
            var next = 0
            func start() {
                guard next < paths.count, bytes < maxBytes else { return }
                let path = paths[next]
                next += 1
                group.addTask { (path, try await readOne(repository, head: head, path: path)) }
            }
            for _ in 0..<Self.concurrency { start() }
            while let (path, read) = try await group.next() {
                heads[path] = read?.0
                bytes += read?.1 ?? 0
                start()
            }
        }
        return heads
    }

    /// The file and its size in bytes, or nil when it is reviewed without.
    private func readOne(_ repository: RepositoryRef, head: String, path: String) async throws -> (HeadFile, Int)? {
        let contents: FileContents?
        do {
            contents = try await github.fileContents(repository, path: path, ref: head, maxBytes: min(Self.maxFileBytes, maxBytes))
        } catch let error as ReviewError where !error.code.isRetryable {
            return nil
        }
        guard case .file(let data)? = contents, !data.contains(0), let text = String(data: data, encoding: .utf8) else { return nil }
        return (HeadFile(text: text), data.count)
    }
}
