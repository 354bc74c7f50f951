import Foundation
import ReviewCore

/// GitHub's example webhook payloads from `fixtures/github-webhooks`, signed as GitHub would.
package enum WebhookFixtures {
    package static let secret = "test-webhook-secret"

    package static var folder: URL { Tools.fixtures.appendingPathComponent("github-webhooks") }

    /// The exact bytes of `<event>/<name>`.
    package static func payload(_ event: String, _ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(event).appendingPathComponent(name))
    }

    /// Every payload file as (event, file name).
    /// None found stops the run: a test looping over fixtures must never pass on zero.
    package static func all() throws -> [(event: String, file: String)] {
        let fm = FileManager.default
        let found = try fm.contentsOfDirectory(atPath: folder.path).sorted().flatMap { event -> [(event: String, file: String)] in
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: folder.appendingPathComponent(event).path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
            return try fm.contentsOfDirectory(atPath: folder.appendingPathComponent(event).path).filter { $0.hasSuffix(".json") }.sorted().map { (event, $0) }
        }
        precondition(found.count == expectedCount, "expected \(expectedCount) webhook payloads in \(folder.path), found \(found.count)")
        return found
    }

    /// How many payloads `fixtures/github-webhooks` records.
    package static let expectedCount = 39

    /// The headers GitHub sends with a delivery of `body`.
    package static func headers(event: String, body: Data, delivery: String = UUID().uuidString, secret: String = secret) -> [String: String] {
        [
            "X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": WebhookSignature.sign(body, secret: secret),
            "Content-Type": "application/json", "User-Agent": "GitHub-Hookshot/test",
        ]
    }

    /// An AWS Function URL (payload 2.0) event carrying the delivery.
    package static func functionURLEvent(headers: [String: String], body: Data, base64: Bool = false) -> Data {
        let event: [String: Any] = [
            "version": "2.0", "routeKey": "$default", "rawPath": "/", "rawQueryString": "",
            "headers": Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a }),
            "requestContext": ["http": ["method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "140.82.115.1"]],
            "body": base64 ? body.base64EncodedString() : String(decoding: body, as: UTF8.self),
            "isBase64Encoded": base64,
        ]
        return (try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data()
    }

    /// What `GET /app/hook/deliveries/{id}` returns for the delivery.
    package static func deliveryExport(headers: [String: String], body: Data, id: Int = 12_345_678) throws -> Data {
        let payload = try JSONSerialization.jsonObject(with: body)
        let event: [String: Any] = [
            "id": id, "guid": headers["X-GitHub-Delivery"] ?? UUID().uuidString, "delivered_at": "2026-11-25T10:00:00Z",
            "redelivery": false, "duration": 0.27, "status": "OK", "status_code": 202,
            "event": headers["X-GitHub-Event"] ?? "", "action": (payload as? [String: Any])?["action"] ?? NSNull(),
            "installation_id": 1, "repository_id": 1,
            "request": ["headers": headers, "payload": payload],
            "response": ["headers": [:] as [String: String], "payload": ""],
        ]
        return try JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
    }
}

extension WebhookFixtures {
    /// GitHub's example `opened` delivery, pointed at a fixture pull request (as the demo does).
    package static func opened(for fixture: PullRequestFixture, installation: Int = 42) throws -> Data {
        guard case .object(var root) = try JSONValue.parse(payload("pull_request", "opened.payload.json")),
            case .object(var repository)? = root["repository"], case .object(var owner)? = repository["owner"],
            case .object(var pr)? = root["pull_request"], case .object(var head)? = pr["head"], case .object(var base)? = pr["base"]
        else { throw ReviewError.badInput("unexpected opened.payload.json") }
        let pull = JSONFieldReader(fixture.pull)
        owner["login"] = .string(try pull.string("base.repo.owner.login"))
        repository["owner"] = .object(owner)
        repository["name"] = .string(try pull.string("base.repo.name"))
        repository["full_name"] = .string(try pull.string("base.repo.full_name"))
        head["sha"] = .string(try pull.string("head.sha"))
        base["sha"] = .string(try pull.string("base.sha"))
        pr["head"] = .object(head)
        pr["base"] = .object(base)
        pr["number"] = .number(Double(try pull.int("number")))
        pr["draft"] = .bool(false)
        root["pull_request"] = .object(pr)
        root["repository"] = .object(repository)
        root["installation"] = .object(["id": .number(Double(installation))])
        return try JSONEncoder().encode(JSONValue.object(root))
    }
}
