import Foundation
import ReviewCore

/// Reads the head version of the files a review covers, so the model sees the lines around each
/// hunk: in the diff's order, as many as the model's budget could use, a few at a time, each once
/// per job. A file GitHub will not serve (gone, a submodule, too large) or that is not text is
/// reviewed without; a transient failure fails the job so it is retried.
struct HeadFileReader {
    let github: GitHubClient
    /// The largest file read (a bigger one could only be cut by the planner).
    static let maxFileBytes = 1_000_000
    static let concurrency = 4

    /// The files worth reading: changed in place (an added file is all in its hunks), text, with hunks.
    static func candidates(_ diff: UnifiedDiff, budgetTokens: Int) -> [String] {
        var paths: [String] = []
        var spent = 0
        for file in diff.files where file.status != .removed && file.status != .added && !file.isBinary && !file.hunks.isEmpty {
            spent += file.hunks.reduce(0) { $0 + ReviewPlanner.estimateTokens($1) }
            guard spent <= budgetTokens else { break }
            paths.append(file.path)
        }
        return paths
    }

    func read(_ job: ReviewJob, diff: UnifiedDiff, budgetTokens: Int) async throws -> [String: HeadFile] {
        let paths = Self.candidates(diff, budgetTokens: budgetTokens)
        guard !paths.isEmpty else { return [:] }
        var heads: [String: HeadFile] = [:]
        try await withThrowingTaskGroup(of: (String, HeadFile?).self) { group in
            var next = 0
            func start() {
                guard next < paths.count else { return }
                let path = paths[next]
                next += 1
                group.addTask { (path, try await readOne(job, path: path)) }
            }
            for _ in 0..<Self.concurrency { start() }
            while let (path, head) = try await group.next() {
                heads[path] = head
                start()
            }
        }
        return heads
    }

    private func readOne(_ job: ReviewJob, path: String) async throws -> HeadFile? {
        let data: Data?
        do {
            data = try await github.fileContents(job, path: path, ref: job.headSha)
        } catch let error as ReviewError where !error.code.isRetryable {
            return nil
        }
        guard let data, data.count <= Self.maxFileBytes, !data.contains(0), let text = String(data: data, encoding: .utf8) else { return nil }
        return HeadFile(text: text)
    }
}
