import ArgumentParser
import Foundation
import ReviewCore

/// `reviewctl anchor --diff FILE --findings FILE`: what would be posted, as JSON.
struct AnchorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anchor",
        abstract: "Anchor findings to a diff and print the review comments GitHub would receive.",
        discussion: """
            FINDINGS is {"findings": [{path, side, line, quote, severity, title, body, suggestion?}]}.
            The output is {"comments": [{path, line, side, start_line?, start_side?, body, finding}], "bodyFindings": [{finding, reason}]}.
            """
    )

    @Option(help: "A unified diff (as GitHub serves application/vnd.github.diff).") var diff: String
    @Option(help: "The findings JSON.") var findings: String

    struct Input: Decodable { let findings: [Finding] }

    struct Output: Encodable {
        /// GitHub's review comment, as posted, with the number of the finding it carries.
        struct Comment: Encodable {
            let comment: ReviewComment
            let finding: Int

            private enum Keys: String, CodingKey { case finding }

            func encode(to encoder: any Encoder) throws {
                try comment.encode(to: encoder)
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode(finding, forKey: .finding)
            }
        }

        struct BodyFinding: Encodable { let finding: Int; let reason: String }
        let comments: [Comment]
        let bodyFindings: [BodyFinding]
    }

    func run() throws {
        let diffText: String
        let input: Input
        do {
            diffText = try String(contentsOfFile: diff, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read the diff \(diff): \((error as NSError).localizedDescription)")
        }
        do {
            input = try JSONDecoder.iso.decode(Input.self, from: Data(contentsOf: URL(fileURLWithPath: findings)))
        } catch let error as DecodingError {
            throw ValidationError("findings file \(findings) is not {\"findings\": [...]}: \(DecodingFailure.describe(error))")
        } catch {
            throw ValidationError("cannot read the findings \(findings): \((error as NSError).localizedDescription)")
        }
        let anchorer = Anchorer(index: HunkIndex(DiffParser.parse(diffText)))
        var comments: [Output.Comment] = []
        var inBody: [Output.BodyFinding] = []
        for (number, finding) in input.findings.enumerated() {
            let anchor = anchorer.anchor(finding)
            switch anchor {
            case .body(let reason):
                inBody.append(.init(finding: number, reason: reason))
            case .lines, .acrossSides:
                if let comment = anchorer.comment(for: finding, at: anchor, body: ReviewComposer.commentBody(finding, anchor: anchor)) {
                    comments.append(.init(comment: comment, finding: number))
                }
            }
        }
        print(String(decoding: try JSONEncoder.pretty.encode(Output(comments: comments, bodyFindings: inBody)), as: UTF8.self))
    }
}
