/// The JSON a model must answer with, by name: OpenAI's `json_schema` response format and
/// Anthropic's forced tool call both carry it.
public struct ResponseSchema: Sendable, Equatable {
    /// The schema's (and Anthropic's tool's) name.
    public var name: String
    /// What the tool does, for Anthropic's tool list.
    public var description: String
    public var schema: JSONValue

    public init(name: String, description: String, schema: JSONValue) {
        self.name = name
        self.description = description
        self.schema = schema
    }

    /// Review findings (`ReviewPrompt.findingsSchema`).
    public static let findings = ResponseSchema(
        name: "report_findings", description: "Report the review findings for this diff.", schema: ReviewPrompt.findingsSchema)

    /// An answer to a question about a pull request (`AnswerPrompt.answerSchema`).
    public static let answer = ResponseSchema(
        name: "answer_question", description: "Answer the question about this pull request.", schema: AnswerPrompt.answerSchema)
}
