/// Packs whole hunks (never a part of one) into model calls under a token budget, with a cap on the
/// number of calls; what does not fit is named, never dropped silently.
public struct ReviewPlanner: Sendable {
    public var maxInputTokens: Int
    public var maxCalls: Int
    /// Tokens the fixed parts of each prompt take (instructions, PR text, schema).
    public var overheadTokens: Int

    public init(maxInputTokens: Int = 32_000, maxCalls: Int = 4, overheadTokens: Int = 1_500) {
        self.maxInputTokens = maxInputTokens
        self.maxCalls = maxCalls
        self.overheadTokens = overheadTokens
    }

    /// A rough count: about four characters a token for code, never less than one per line.
    public static func estimateTokens(_ text: String) -> Int {
        estimate(bytes: text.utf8.count, lines: text.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 })
    }

    static func estimate(bytes: Int, lines: Int) -> Int { max(bytes / 4 + 1, lines) }

    /// `estimateTokens(ReviewPrompt.render(hunk))`, computed without rendering.
    public static func estimateTokens(_ hunk: DiffHunk) -> Int {
        let size = ReviewPrompt.renderedSize(hunk)
        return estimate(bytes: size.bytes, lines: size.lines)
    }

    /// The model calls to make (each within the token budget) and the files left out, with why.
    public struct Plan: Sendable, Equatable {
        /// Each call's files, holding only the hunks packed into that call.
        public var calls: [[DiffFile]]
        public var estimatedTokens: [Int]
        /// Files (or parts of files) left out for want of budget.
        public var leftOut: [ReviewScope.Skipped]
    }

    /// Packs the diff's hunks into calls, most-changed files first, within the budget.
    public func plan(_ diff: UnifiedDiff) -> Plan {
        let budget = max(1, maxInputTokens - overheadTokens)
        var calls: [[DiffFile]] = []
        var tokens: [Int] = []
        var current: [DiffFile] = []
        var used = 0
        var leftOut: [String: Int] = [:]
        var order: [String] = []

        func flush() {
            if !current.isEmpty { calls.append(current); tokens.append(used + overheadTokens) }
            current = []
            used = 0
        }
        for file in diff.files {
            let header = Self.estimateTokens("### \(file.path)\n")
            for hunk in file.hunks {
                let cost = Self.estimateTokens(hunk)
                let needsHeader = current.last?.path != file.path
                let total = cost + (needsHeader ? header : 0)
                if used + total > budget { flush() }
                guard calls.count < maxCalls, cost + header <= budget else {
                    if leftOut[file.path] == nil { order.append(file.path) }
                    leftOut[file.path, default: 0] += 1
                    continue
                }
                if current.last?.path == file.path {
                    current[current.count - 1].hunks.append(hunk)
                } else {
                    var part = file
                    part.hunks = [hunk]
                    current.append(part)
                }
                used += cost + (current.last?.hunks.count == 1 ? header : 0)
            }
        }
        flush()
        if calls.count > maxCalls { calls = Array(calls.prefix(maxCalls)) }
        let skipped = order.map { path in
            let total = diff.file(path)?.hunks.count ?? 0
            let missing = leftOut[path] ?? 0
            return ReviewScope.Skipped(path: path, reason: missing == total ? "over the review budget" : "\(missing) of \(total) hunks over the review budget")
        }
        return Plan(calls: calls, estimatedTokens: Array(tokens.prefix(calls.count)), leftOut: skipped)
    }
}
