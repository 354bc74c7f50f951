import Foundation

/// Turns findings into one GitHub review: inline comments (at most 30, most severe first) and a
/// body with the summary, what did not fit or anchor, what was not reviewed, and a footer with
/// provider, model, tokens, cost and latency. The body stays within GitHub's 65,536 characters.
public struct ReviewComposer: Sendable {
    public static let maxComments = 30
    public static let maxBodyCharacters = 65_536
    public static let maxNits = 10

    /// What the review's footer reports: who reviewed, tokens, cost and latency.
    public struct Footer: Sendable, Equatable {
        public var provider: String
        public var model: String
        public var usage: ModelUsage
        public var latencyMs: Int

        public init(provider: String, model: String, usage: ModelUsage, latencyMs: Int) {
            self.provider = provider
            self.model = model
            self.usage = usage
            self.latencyMs = latencyMs
        }
    }

    /// A review ready to post.
    public struct Composed: Sendable, Equatable {
        public var body: String
        public var comments: [ReviewComment]
        /// Findings reported in the body (unanchorable or over the comment limit).
        public var bodyFindings: [Finding]
        /// Findings left out entirely (nits over the cap).
        public var droppedNits: Int
    }

    public let anchorer: Anchorer
    public var maxComments: Int

    public init(anchorer: Anchorer, maxComments: Int = ReviewComposer.maxComments) {
        self.anchorer = anchorer
        self.maxComments = min(maxComments, Self.maxComments)
    }

    /// - Parameters:
    ///   - summary: the model's summary (untrusted: rendered as plain text).
    ///   - configProblems: what was wrong with the repository's config file (it quotes the file).
    ///   - alreadyCommented: fingerprints already posted as inline comments (a full review again):
    ///     such findings count in the tally but are not posted a second time.
    public func compose(
        findings: [Finding], summary: String?, configProblems: [String] = [], headSha: String, notReviewed: [ReviewScope.Skipped],
        reviewedInPart: [ReviewScope.Skipped] = [], footer: Footer, reviewedFiles: Int, alreadyCommented: Set<String> = []
    ) -> Composed {
        let ordered = findings.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }.map(\.element)
        var nits = 0
        var comments: [ReviewComment] = []
        var inBody: [(Finding, String)] = []
        var dropped = 0, repeated = 0
        for finding in ordered {
            if alreadyCommented.contains(finding.fingerprint) {
                repeated += 1
                continue
            }
            if finding.severity == .nit {
                nits += 1
                if nits > Self.maxNits { dropped += 1; continue }
            }
            let anchor = anchorer.anchor(finding)
            if comments.count < maxComments, let comment = anchorer.comment(for: finding, at: anchor, body: Self.commentBody(finding, anchor: anchor)) {
                comments.append(comment)
            } else if case .body(let reason) = anchor {
                inBody.append((finding, reason))
            } else {
                inBody.append((finding, "over the limit of \(maxComments) inline comments"))
            }
        }
        let body = Self.body(
            summary: summary, configProblems: configProblems, counts: Dictionary(ordered.map { ($0.severity, 1) }, uniquingKeysWith: +), inBody: inBody,
            dropped: dropped, repeated: repeated, notReviewed: notReviewed, reviewedInPart: reviewedInPart, footer: footer, headSha: headSha,
            reviewedFiles: reviewedFiles
        )
        return Composed(body: body, comments: comments, bodyFindings: inBody.map(\.0), droppedNits: dropped)
    }

    /// The same review with every inline comment moved into the body (GitHub's last-resort fallback after a 422).
    public static func foldingComments(_ composed: Composed) -> Composed {
        var body = composed.body
        let folded = composed.comments.map { comment in
            // The comment's marker (its last line) moves to the item's first line, where review bodies carry them.
            var lines = comment.body.split(separator: "\n", omittingEmptySubsequences: false)
            let marker = ReviewMarker.fingerprints(inComment: comment.body).isEmpty ? nil : lines.popLast()
            let first = lines.isEmpty ? "" : String(lines.removeFirst())
            let rest = lines.joined(separator: "\n").replacingOccurrences(of: "\n", with: "\n  ")
            return "- " + MarkdownText.code("\(comment.path):\(comment.startLine.map { "\($0)-" } ?? "")\(comment.line)") + " " + first
                + (marker.map { " " + $0 } ?? "") + (rest.isEmpty ? "" : "\n  " + rest)
        }
        if !folded.isEmpty {
            let section = "\n\n### Comments (GitHub refused them inline)\n\n" + folded.joined(separator: "\n")
            body = insertBeforeFooter(body, section)
        }
        return Composed(body: limit(body), comments: [], bodyFindings: composed.bodyFindings, droppedNits: composed.droppedNits)
    }

    /// One inline comment: the finding's title and body as plain text, its suggestion in a fence it
    /// cannot close, and our fingerprint marker as the last line.
    public static func commentBody(_ finding: Finding, anchor: Anchor) -> String {
        var text = "**\(label(finding.severity)): \(MarkdownText.plain(finding.title))**\n\n\(MarkdownText.plain(finding.body, keepingLines: true))"
        if let suggestion = finding.suggestion, case .lines(_, .right, _, _) = anchor {
            text += "\n\n" + MarkdownText.codeBlock(suggestion, info: "suggestion")
        }
        return text + "\n\n" + ReviewMarker.finding(finding.fingerprint)
    }

    static func label(_ severity: Finding.Severity) -> String {
        switch severity {
        case .bug: "Bug"
        case .security: "Security"
        case .performance: "Performance"
        case .maintainability: "Maintainability"
        case .nit: "Nit"
        }
    }

    static let footerMarker = "\n\n---\n"

    static func body(
        summary: String?, configProblems: [String], counts: [Finding.Severity: Int], inBody: [(Finding, String)], dropped: Int, repeated: Int = 0,
        notReviewed: [ReviewScope.Skipped], reviewedInPart: [ReviewScope.Skipped] = [], footer: Footer, headSha: String, reviewedFiles: Int
    ) -> String {
        var parts: [String] = []
        let total = counts.values.reduce(0, +)
        let tally = Finding.Severity.allCases.compactMap { severity in counts[severity].map { "\($0) \(label(severity).lowercased())" } }
        let headline =
            total == 0
            ? "No problems found in \(reviewedFiles) reviewed file\(reviewedFiles == 1 ? "" : "s")."
            : "\(total) finding\(total == 1 ? "" : "s") in \(reviewedFiles) reviewed file\(reviewedFiles == 1 ? "" : "s"): \(tally.joined(separator: ", "))."
        let problems =
            configProblems.isEmpty
            ? nil
            : "**\(RepoConfig.path) has problems, so the defaults were used:** " + configProblems.map { MarkdownText.plain($0) }.joined(separator: "; ") + "."
        let intro = [summary.map { MarkdownText.plain($0, keepingLines: true) }, problems, headline]
        parts.append("## Automated review\n\n" + intro.compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "\n\n"))
        if !inBody.isEmpty {
            var section = "### Findings not shown inline"
            let byFile = Dictionary(grouping: inBody, by: { $0.0.path })
            for path in byFile.keys.sorted() {
                section += "\n\n**\(MarkdownText.code(path))**"
                for (finding, reason) in byFile[path] ?? [] {
                    let line = finding.line.map { " (line \($0))" } ?? ""
                    section +=
                        "\n- **\(label(finding.severity)): \(MarkdownText.plain(finding.title))**\(line) — \(MarkdownText.plain(finding.body)) "
                        + "_(\(MarkdownText.plain(reason)))_ \(ReviewMarker.finding(finding.fingerprint))"
                }
            }
            parts.append(section)
        }
        if dropped > 0 { parts.append("_\(dropped) more nit\(dropped == 1 ? "" : "s") not shown._") }
        if repeated > 0 { parts.append("_\(repeated) finding\(repeated == 1 ? " is" : "s are") already commented on this pull request and not repeated._") }
        for (title, items) in [("Not reviewed", notReviewed), ("Reviewed in part", reviewedInPart)] where !items.isEmpty {
            parts.append("### \(title)\n\n" + items.map { "- \(MarkdownText.code($0.path)) — \(MarkdownText.plain($0.reason))" }.joined(separator: "\n"))
        }
        let cost = footer.usage.costUSD.map { String(format: "$%.4f", $0) } ?? "$0"
        let footerText =
            "<sub>\(MarkdownText.plain(footer.provider)) · \(MarkdownText.plain(footer.model)) · \(footer.usage.inputTokens) input / \(footer.usage.outputTokens) output tokens · \(cost) · \(footer.latencyMs) ms · reviewed \(headSha.prefix(12))</sub>\n"
            + ReviewMarker.review(commit: headSha)
        return limit(parts.joined(separator: "\n\n") + footerMarker + footerText)
    }

    private static func insertBeforeFooter(_ body: String, _ section: String) -> String {
        guard let range = body.range(of: footerMarker, options: .backwards) else { return body + section }
        return String(body[..<range.lowerBound]) + section + String(body[range.lowerBound...])
    }

    /// Cuts the middle of an over-long body, keeping the footer and its marker.
    static func limit(_ body: String) -> String {
        guard body.count > maxBodyCharacters else { return body }
        let range = body.range(of: footerMarker, options: .backwards)
        let footer = range.map { String(body[$0.lowerBound...]) } ?? ""
        let note = "\n\n_… truncated to fit GitHub's limit._"
        let keep = maxBodyCharacters - footer.count - note.count
        // Cut at a line end, so no code span, entity or marker is left half-written.
        let kept = body.prefix(max(0, keep))
        let cut = kept.lastIndex(of: "\n").map { kept[..<$0] } ?? kept
        return String(cut) + note + footer
    }
}
