import Foundation

/// An HTTP request, outbound (full URL) or as received by `HTTPServer` (URL on `http://localhost`).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
    public var timeout: TimeInterval

    public init(method: String = "GET", url: URL, headers: [String: String] = [:], body: Data = Data(), timeout: TimeInterval = 30) {
        self.method = method
        self.url = url
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
        self.timeout = timeout
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
