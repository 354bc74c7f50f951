import Foundation

/// Turns findings into one GitHub review: inline comments (at most 30, most severe first) and a
/// body with the summary, what did not fit or anchor, what was not reviewed, and a footer with
/// provider, model, tokens, cost and latency. The body stays within GitHub's 65,536 characters.
public struct ReviewComposer: Sendable {
    public static let maxComments = 30
    public static let maxBodyCharacters = 65_536
    public static let maxNits = 10

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

    public func compose(
        findings: [Finding], summary: String?, headSha: String, notReviewed: [ReviewScope.Skipped], footer: Footer, reviewedFiles: Int
    ) -> Composed {
        let ordered = findings.enumerated().sorted { ($0.element.severity, $0.offset) < ($1.element.severity, $1.offset) }.map(\.element)
        var nits = 0
        var comments: [ReviewComment] = []
        var inBody: [(Finding, String)] = []
        var dropped = 0
        for finding in ordered {
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
            summary: summary, counts: Dictionary(ordered.map { ($0.severity, 1) }, uniquingKeysWith: +), inBody: inBody, dropped: dropped,
            notReviewed: notReviewed, footer: footer, headSha: headSha, reviewedFiles: reviewedFiles
        )
        return Composed(body: body, comments: comments, bodyFindings: inBody.map(\.0), droppedNits: dropped)
    }

    /// The same review with every inline comment moved into the body (GitHub's last-resort fallback after a 422).
    public static func foldingComments(_ composed: Composed) -> Composed {
        var body = composed.body
        let folded = composed.comments.map { comment in
            "- `\(comment.path):\(comment.startLine.map { "\($0)-" } ?? "")\(comment.line)` " + comment.body.replacingOccurrences(of: "\n", with: "\n  ")
        }
        if !folded.isEmpty {
            let section = "\n\n### Comments (GitHub refused them inline)\n\n" + folded.joined(separator: "\n")
            body = insertBeforeFooter(body, section)
        }
        return Composed(body: limit(body), comments: [], bodyFindings: composed.bodyFindings, droppedNits: composed.droppedNits)
    }

    public static func commentBody(_ finding: Finding, anchor: Anchor) -> String {
        var text = "**\(label(finding.severity)): \(finding.title)**\n\n\(finding.body)"
        if let suggestion = finding.suggestion, case .lines(_, .right, _, _) = anchor {
            text += "\n\n```suggestion\n\(suggestion)\n```"
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
        summary: String?, counts: [Finding.Severity: Int], inBody: [(Finding, String)], dropped: Int, notReviewed: [ReviewScope.Skipped],
        footer: Footer, headSha: String, reviewedFiles: Int
    ) -> String {
        var parts: [String] = []
        let total = counts.values.reduce(0, +)
        let tally = Finding.Severity.allCases.compactMap { severity in counts[severity].map { "\($0) \(label(severity).lowercased())" } }
        let headline = total == 0
            ? "No problems found in \(reviewedFiles) reviewed file\(reviewedFiles == 1 ? "" : "s")."
            : "\(total) finding\(total == 1 ? "" : "s") in \(reviewedFiles) reviewed file\(reviewedFiles == 1 ? "" : "s"): \(tally.joined(separator: ", "))."
        parts.append("## Automated review\n\n" + [summary, headline].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "\n\n"))
        if !inBody.isEmpty {
            var section = "### Findings not shown inline"
            let byFile = Dictionary(grouping: inBody, by: { $0.0.path })
            for path in byFile.keys.sorted() {
                section += "\n\n**`\(path)`**"
                for (finding, reason) in byFile[path] ?? [] {
                    let line = finding.line.map { " (line \($0))" } ?? ""
                    section += "\n- **\(label(finding.severity)): \(finding.title)**\(line) — \(finding.body) _(\(reason))_ \(ReviewMarker.finding(finding.fingerprint))"
                }
            }
            parts.append(section)
        }
        if dropped > 0 { parts.append("_\(dropped) more nit\(dropped == 1 ? "" : "s") not shown._") }
        if !notReviewed.isEmpty {
            parts.append("### Not reviewed\n\n" + notReviewed.map { "- `\($0.path)` — \($0.reason)" }.joined(separator: "\n"))
        }
        let cost = footer.usage.costUSD.map { String(format: "$%.4f", $0) } ?? "$0"
        let footerText = "<sub>\(footer.provider) · \(footer.model) · \(footer.usage.inputTokens) input / \(footer.usage.outputTokens) output tokens · \(cost) · \(footer.latencyMs) ms · reviewed \(headSha.prefix(12))</sub>\n"
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
        return String(body.prefix(max(0, keep))) + note + footer
    }
}
