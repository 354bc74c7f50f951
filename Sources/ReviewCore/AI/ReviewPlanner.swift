/// Packs whole hunks (never a part of one), each with the head-file lines around it, into model
/// calls under a token budget, with a cap on the number of calls. When the budget is tight,
/// deletions are shortened to one line and a hunk's surrounding lines go before the hunk does;
/// what is cut or left out is named, never dropped silently.
public struct ReviewPlanner: Sendable {
    public var maxInputTokens: Int
    public var maxCalls: Int
    /// Tokens the fixed parts of each prompt take (instructions, PR text, schema), when the caller
    /// does not count them itself.
    public var overheadTokens: Int

    public init(maxInputTokens: Int = 32_000, maxCalls: Int = 4, overheadTokens: Int = 1_500) {
        self.maxInputTokens = maxInputTokens
        self.maxCalls = maxCalls
        self.overheadTokens = overheadTokens
    }

    /// A rough count: about four characters a token for code, never less than one per line. It
    /// never undercounts a concatenation: the estimates of the parts add up to at least the whole's.
    public static func estimateTokens(_ text: String) -> Int {
        estimate(bytes: text.utf8.count, lines: text.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 })
    }

    static func estimate(bytes: Int, lines: Int) -> Int { max(bytes / 4 + 1, lines) }

    /// `estimateTokens(ReviewPrompt.render(hunk))`, computed without rendering, plus what its
    /// backticks could add to the prompt's fence.
    public static func estimateTokens(_ hunk: DiffHunk) -> Int {
        let size = ReviewPrompt.renderedSize(hunk)
        return estimate(bytes: size.bytes + fenceGrowth(ReviewPrompt.longestBacktickRun(hunk)), lines: size.lines)
    }

    /// The bytes a run of `run` backticks adds to the two fences around the diff (which start at three).
    static func fenceGrowth(_ run: Int) -> Int { 2 * max(0, run - 2) }

    static func estimateTokens(_ part: PromptFile.Part) -> Int {
        switch part {
        case .hunk(let hunk): return estimateTokens(hunk)
        case .removed(let hunk): return estimateTokens(ReviewPrompt.render(.removed(hunk)))
        case .context(let lines):
            let text = ReviewPrompt.render(.context(lines))
            return estimate(bytes: text.utf8.count + fenceGrowth(MarkdownText.longestBacktickRun(text)), lines: text.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 })
        }
    }

    /// The model calls to make (each within the token budget) and what was shortened or left out.
    public struct Plan: Sendable, Equatable {
        /// Each call's files, holding only the hunks packed into that call.
        public var calls: [[PromptFile]]
        public var estimatedTokens: [Int]
        /// Files (or parts of files) left out for want of budget.
        public var leftOut: [ReviewScope.Skipped]
        /// Files reviewed without (some of) the head-file lines around their hunks, for want of budget.
        public var contextCut: [String] = []
        /// Deleted files and deletion-only hunks shown as one line each, for want of budget.
        public var shortened: [String] = []
    }

    /// One hunk as the planner places it: its context, its cost with and without that context.
    private struct Unit {
        var file: Int
        var parts: [PromptFile.Part]
        var bare: [PromptFile.Part]
        var cost: Int
        var bareCost: Int
        var deletedInShort = false
    }

    /// Packs the diff's hunks into calls, in the diff's order, within the budget. `heads` holds the
    /// head version of files to show context from; `fixedTokens` what every call's fixed text costs
    /// (default: `overheadTokens`).
    public func plan(
        _ diff: UnifiedDiff, heads: [String: HeadFile] = [:], context: ContextSettings = ContextSettings(), fixedTokens: Int? = nil
    )
        -> Plan
    {
        let overhead = fixedTokens ?? overheadTokens
        let budget = max(1, maxInputTokens - overhead)
        var units: [Unit] = []
        for (index, file) in diff.files.enumerated() {
            units += makeUnits(for: file, at: index, head: heads[file.path], context: context)
        }
        let headers: [Int] = diff.files.map { Self.estimateTokens(ReviewPrompt.fileHeader($0)) }
        var shortened: [String] = []
        let wanted = units.reduce(0) { $0 + $1.cost } + headers.reduce(0, +)
        if wanted > budget * maxCalls {
            (units, shortened) = shorten(units, diff: diff)
        }

        var packer = Packer(diff: diff, headers: headers, budget: budget, maxCalls: maxCalls, overhead: overhead)
        for unit in units { packer.place(unit) }
        return packer.plan(shortened: shortened)
    }

    /// Fills calls in the diff's order: a hunk goes into the current call when it fits there, else
    /// starts the next call while calls are left; without room for its context it goes bare; without
    /// room at all it is left out (and named).
    private struct Packer {
        let diff: UnifiedDiff
        /// What each file's `### PATH` line costs.
        let headers: [Int]
        let budget: Int
        let maxCalls: Int
        let overhead: Int
        var calls: [[PromptFile]] = []
        var tokens: [Int] = []
        var current: [PromptFile] = []
        var used = 0
        var leftOut: [String: Int] = [:]
        var leftOutOrder: [String] = []
        var contextCut: [String] = []

        init(diff: UnifiedDiff, headers: [Int], budget: Int, maxCalls: Int, overhead: Int) {
            self.diff = diff
            self.headers = headers
            self.budget = budget
            self.maxCalls = maxCalls
            self.overhead = overhead
        }

        mutating func place(_ unit: Unit) {
            let path = diff.files[unit.file].path
            if fitsCurrent(unit, cost: unit.cost) {
                add(unit, parts: unit.parts, cost: unit.cost)
            } else if fitsNext(unit, cost: unit.cost) {
                flush()
                add(unit, parts: unit.parts, cost: unit.cost)
            } else if fitsCurrent(unit, cost: unit.bareCost) || fitsNext(unit, cost: unit.bareCost) {
                if !fitsCurrent(unit, cost: unit.bareCost) { flush() }
                add(unit, parts: unit.bare, cost: unit.bareCost)
                if unit.parts.count > unit.bare.count, contextCut.last != path { contextCut.append(path) }
            } else {
                if leftOut[path] == nil { leftOutOrder.append(path) }
                leftOut[path, default: 0] += 1
            }
        }

        /// Calls started so far, the one being filled included.
        private var callsInUse: Int { calls.count + (current.isEmpty ? 0 : 1) }

        /// What the unit's file header adds to the current call (nothing when the file is already in it).
        private func header(_ unit: Unit, continuing: Bool) -> Int {
            unit.deletedInShort || (continuing && current.last?.path == diff.files[unit.file].path) ? 0 : headers[unit.file]
        }

        private func fitsCurrent(_ unit: Unit, cost: Int) -> Bool {
            (!current.isEmpty || callsInUse < maxCalls) && used + cost + header(unit, continuing: true) <= budget
        }

        private func fitsNext(_ unit: Unit, cost: Int) -> Bool {
            !current.isEmpty && callsInUse < maxCalls && cost + header(unit, continuing: false) <= budget
        }

        private mutating func add(_ unit: Unit, parts: [PromptFile.Part], cost: Int) {
            let file = diff.files[unit.file]
            if current.last?.path != file.path {
                var shown = file
                shown.hunks = []
                current.append(PromptFile(file: shown, parts: [], deletedInShort: unit.deletedInShort ? file.deletions : nil))
                used += header(unit, continuing: false)
            }
            current[current.count - 1].parts += parts
            for case .hunk(let hunk) in parts { current[current.count - 1].file.hunks.append(hunk) }
            used += cost
        }

        private mutating func flush() {
            if !current.isEmpty {
                calls.append(current)
                tokens.append(used + overhead)
            }
            current = []
            used = 0
        }

        mutating func plan(shortened: [String]) -> Plan {
            flush()
            let skipped = leftOutOrder.map { path in
                let total = diff.file(path)?.hunks.count ?? 0
                let missing = leftOut[path] ?? 0
                return ReviewScope.Skipped(
                    path: path, reason: missing >= total ? "over the review budget" : "\(missing) of \(total) hunks over the review budget")
            }
            let cut = contextCut.filter { leftOut[$0] == nil }
            return Plan(calls: calls, estimatedTokens: tokens, leftOut: skipped, contextCut: Array(Set(cut)).sorted(), shortened: shortened)
        }
    }

    /// One unit per hunk: the hunk with its head-file lines (the lines after only for the last hunk).
    private func makeUnits(for file: DiffFile, at index: Int, head: HeadFile?, context: ContextSettings) -> [Unit] {
        let around = head.map { FileContext.around(file, head: $0, settings: context) } ?? file.hunks.map { _ in ([], []) }
        return zip(file.hunks, around).map { hunk, lines in
            var parts: [PromptFile.Part] = []
            if !lines.before.isEmpty { parts.append(.context(lines.before)) }
            parts.append(.hunk(hunk))
            if !lines.after.isEmpty { parts.append(.context(lines.after)) }
            let bare = Self.estimateTokens(hunk)
            let cost = parts.reduce(0) { total, part in if case .hunk = part { total + bare } else { total + Self.estimateTokens(part) } }
            return Unit(file: index, parts: parts, bare: [.hunk(hunk)], cost: cost, bareCost: bare)
        }
    }

    /// Deleted files become one line each, and hunks that only delete one line each.
    private func shorten(_ units: [Unit], diff: UnifiedDiff) -> ([Unit], [String]) {
        var out: [Unit] = []
        var shortened: [String] = []
        var seenDeleted = Set<Int>()
        for unit in units {
            let file = diff.files[unit.file]
            if file.status == .removed {
                guard seenDeleted.insert(unit.file).inserted else { continue }
                let line = Self.estimateTokens(ReviewPrompt.deletedInShort(file, lines: file.deletions))
                out.append(Unit(file: unit.file, parts: [], bare: [], cost: line, bareCost: line, deletedInShort: true))
                shortened.append(file.path)
                continue
            }
            guard case .hunk(let hunk)? = unit.bare.first, hunk.newCount == 0 else {
                out.append(unit)
                continue
            }
            let cost = Self.estimateTokens(.removed(hunk))
            out.append(Unit(file: unit.file, parts: [.removed(hunk)], bare: [.removed(hunk)], cost: cost, bareCost: cost))
            if shortened.last != file.path { shortened.append(file.path) }
        }
        return (out, shortened)
    }
}
