import Foundation
import ReviewTesting
import Testing

@testable import ReviewCore

@Suite struct JSONParserTests {
    @Test func agreesWithFoundationOnEveryFixture() throws {
        var files = try WebhookFixtures.all().map { WebhookFixtures.folder.appendingPathComponent($0.event).appendingPathComponent($0.file) }
        files += PullRequestFixture.all.flatMap { [$0.folder.appendingPathComponent("pull.json"), $0.folder.appendingPathComponent("files.json")] }
        for file in files {
            let data = try Data(contentsOf: file)
            #expect(try JSONParser.parse(data) == JSONDecoder().decode(JSONValue.self, from: data), "\(file.lastPathComponent)")
        }
    }

    @Test(arguments: [
        (#"{"a":"\u00e9\ud83d\ude00\n\"\\\/"}"#, JSONValue.object(["a": .string("é😀\n\"\\/")])),
        (#"[1, -2.5e3, 0, true, false, null]"#, .array([.number(1), .number(-2500), .number(0), .bool(true), .bool(false), .null])),
        ("  \"x\"  ", .string("x")),
    ])
    func parsesValues(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONParser.parse(Data(text.utf8)) == expected)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "tru", "\"\\x\"", "\"\\ud800\"", "\"a\u{01}b\"", "[1] 2", "{'a':1}",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Data(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Data([0x22, 0xFF, 0x22])) }
    }
}
