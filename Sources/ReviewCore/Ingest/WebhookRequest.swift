import Foundation

/// One webhook delivery as received: lowercased header names and the body bytes exactly as sent.
public struct WebhookRequest: Sendable {
    public var headers: [String: String]
    public var body: Data
    /// False when the body was rebuilt from a parsed payload (a delivery export), so the original
    /// bytes — the ones GitHub signed — are not available.
    public var bodyIsOriginal: Bool

    public init(headers: [String: String], body: Data, bodyIsOriginal: Bool = true) {
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
        self.bodyIsOriginal = bodyIsOriginal
    }

    /// A header by name, case-insensitively.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public var event: String? { header("x-github-event") }
    public var deliveryID: String? { header("x-github-delivery") }
    public var signature: String? { header("x-hub-signature-256") }
}

/// The event shapes `webhook-ingest` accepts from a file, stdin or the Lambda Runtime API, detected
/// from the document itself.
public enum WebhookEventShape: String, Sendable {
    /// AWS Function URL / API Gateway payload 2.0, or a hand-written `{"headers":…,"body":…}`.
    case httpEnvelope
    /// What `GET /app/hook/deliveries/{id}` returns: `request.headers` and `request.payload`.
    case deliveryExport

    /// Detects the shape of `event` and turns it into the request it carries.
    public static func decode(_ event: Data) throws(ReviewError) -> (WebhookEventShape, WebhookRequest) {
        let document = try JSONValue.parse(event, what: "event")
        let reader = JSONFieldReader(document)
        if let request = document["request"], request["payload"] != nil || request["headers"] != nil {
            return (.deliveryExport, try deliveryExport(reader))
        }
        if document["body"] != nil || document["headers"] != nil {
            return (.httpEnvelope, try httpEnvelope(reader))
        }
        throw .badInput(
            "event is neither an HTTP request envelope ({headers, body}) nor a GitHub delivery export ({request: {headers, payload}})"
        )
    }

    private static func httpEnvelope(_ reader: JSONFieldReader) throws(ReviewError) -> WebhookRequest {
        let headers = try stringMap(reader, "headers")
        let text = try reader.optionalString("body") ?? ""
        var body = Data(text.utf8)
        if try reader.bool("isBase64Encoded", default: false) {
            guard let decoded = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw .badInput("field body is flagged isBase64Encoded but is not valid base64")
            }
            body = decoded
        }
        return WebhookRequest(headers: headers, body: body)
    }

    private static func deliveryExport(_ reader: JSONFieldReader) throws(ReviewError) -> WebhookRequest {
        var headers = try stringMap(reader, "request.headers")
        let payload = try reader.object("request.payload")
        let lowered = Set(headers.keys.map { $0.lowercased() })
        if !lowered.contains("x-github-delivery"), let guid = try reader.optionalString("guid") {
            headers["X-GitHub-Delivery"] = guid
        }
        if !lowered.contains("x-github-event"), let event = try reader.optionalString("event") {
            headers["X-GitHub-Event"] = event
        }
        let body = (try? JSONEncoder.iso.encode(payload)) ?? Data()
        return WebhookRequest(headers: headers, body: body, bodyIsOriginal: false)
    }

    private static func stringMap(_ reader: JSONFieldReader, _ path: String) throws(ReviewError) -> [String: String] {
        guard let value = reader.value(at: path) else { return [:] }
        guard case .object(let object) = value else {
            throw .badInput("field \(path) must be an object, found \(value.typeName)")
        }
        var map: [String: String] = [:]
        for (key, entry) in object {
            switch entry {
            case .string(let string): map[key] = string
            case .number, .bool: map[key] = String(describing: entry)
            case .null: continue
            default: throw .badInput("field \(path).\(key) must be a string, found \(entry.typeName)")
            }
        }
        return map
    }
}
