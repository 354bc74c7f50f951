import Foundation
import NIOHTTP1

/// An HTTP request, outbound (full URL) or as received by `HTTPServer` (URL on `http://localhost`).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
    public var timeout: TimeInterval
    /// The largest answer body read: a longer one is cut off and the call fails `too_large`, so no
    /// peer can make the process hold more than this for one call.
    public var maxResponseBytes: Int

    /// The default cap on an answer's body (a 15 MB Redis reply fits; nothing we call sends more).
    public static let defaultMaxResponseBytes = 64 * 1024 * 1024

    public init(
        method: String = "GET", url: URL, headers: [String: String] = [:], body: Data = Data(), timeout: TimeInterval = 30,
        maxResponseBytes: Int = HTTPRequest.defaultMaxResponseBytes
    ) {
        self.method = method
        self.url = url
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// A header by name, case-insensitively.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// An HTTP answer: status, headers (lowercased names) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    /// A JSON answer with this status.
    public static func json(_ status: Int, _ body: Data) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": "application/json"], body: body)
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

extension HTTPHeaders {
    /// Every field by its lowercased name, a repeated field's values joined with ", " (RFC 9110
    /// §5.3): how both a request we serve and an answer we receive are read.
    var byLowercasedName: [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in self {
            let key = name.lowercased()
            fields[key] = fields[key].map { $0 + ", " + value } ?? value
        }
        return fields
    }
}
