import Foundation
import Logging
import ReviewCore

/// The response object a Lambda Function URL (payload 2.0) returns: status, headers, body string.
public struct FunctionURLResponse: Codable, Sendable, Equatable {
    public var statusCode: Int
    public var headers: [String: String]
    public var body: String

    public init(_ response: IngestResponse) {
        statusCode = response.statusCode
        headers = ["content-type": "application/json"]
        body = String(decoding: response.jsonBody, as: UTF8.self)
    }

    public var json: Data {
        (try? JSONEncoder.iso.encode(self)) ?? Data()
    }
}
