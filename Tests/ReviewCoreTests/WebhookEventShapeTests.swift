import Foundation
import ReviewCore
import ReviewTesting
import Testing

@Suite struct WebhookEventShapeTests {
    let body = Data(#"{"zen":"Keep it logically awesome."}"#.utf8)

    @Test func functionURLEnvelopeKeepsExactBytes() throws {
        let headers = WebhookFixtures.headers(event: "ping", body: body)
        for base64 in [false, true] {
            let (shape, request) = try WebhookEventShape.decode(WebhookFixtures.functionURLEvent(headers: headers, body: body, base64: base64))
            #expect(shape == .httpEnvelope)
            #expect(request.body == body)
            #expect(request.bodyIsOriginal)
            #expect(request.event == "ping")
            #expect(request.signature == headers["X-Hub-Signature-256"])
        }
    }

    @Test func deliveryExportIsMarkedNotOriginal() throws {
        let headers = WebhookFixtures.headers(event: "ping", body: body, delivery: "guid-1")
        let (shape, request) = try WebhookEventShape.decode(try WebhookFixtures.deliveryExport(headers: headers, body: body))
        #expect(shape == .deliveryExport)
        #expect(!request.bodyIsOriginal)
        #expect(request.deliveryID == "guid-1")
        #expect(try JSONValue.parse(request.body) == JSONValue.parse(body))
    }

    @Test func unknownShapesAndBadJSONAreNamed() {
        #expect(throws: ReviewError.self) { try WebhookEventShape.decode(Data(#"{"foo":1}"#.utf8)) }
        #expect(throws: ReviewError.badInput("event is empty; expected a JSON object")) { try WebhookEventShape.decode(Data()) }
        #expect(throws: ReviewError.badInput("field body is flagged isBase64Encoded but is not valid base64")) {
            try WebhookEventShape.decode(Data(#"{"headers":{},"body":"%%%","isBase64Encoded":true}"#.utf8))
        }
    }

    @Test func jobIDsAreRedisSafeAndReversible() {
        let raw = "octo-org/my.repo#12@abc"
        let id = JobID.encode(raw)
        #expect(id == "octo-org%2Fmy.repo%2312%40abc")
        #expect(!id.contains("|") && !id.contains("{") && !id.contains(" "))
        #expect(JobID.decode(id) == raw)
    }
}
