import Crypto
import Foundation
import ReviewCore

/// AWS credentials as the Lambda runtime (and every AWS SDK) reads them from the environment.
public struct AWSCredentials: Sendable {
    public var accessKeyId: String
    public var secretAccessKey: String
    /// Set for temporary credentials (a Lambda's execution role always has one).
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// Reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    public static func load(_ env: EnvironmentReader) -> AWSCredentials {
        AWSCredentials(
            accessKeyId: env.required("AWS_ACCESS_KEY_ID"), secretAccessKey: env.required("AWS_SECRET_ACCESS_KEY"),
            sessionToken: env.optional("AWS_SESSION_TOKEN")
        )
    }
}

/// Signs a request with AWS Signature Version 4 (the `Authorization` header form), on swift-crypto's
/// SHA-256 and HMAC. Every header the request carries is signed, plus `host` and `x-amz-date`.
public struct AWSSigV4: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The request with SigV4's `authorization`, `x-amz-date` and session-token headers added.
    public func sign(_ request: HTTPRequest, at date: Date) -> HTTPRequest {
        var signed = request
        let amzDate = Self.timestamp(date)
        let day = String(amzDate.prefix(8))
        signed.headers["x-amz-date"] = amzDate
        if let token = credentials.sessionToken { signed.headers["x-amz-security-token"] = token }
        var headers = signed.headers
        headers["host"] = Self.host(of: request.url)
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(Self.trimmed(headers[$0] ?? ""))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            request.method, Self.canonicalPath(request.url), Self.canonicalQuery(request.url), canonicalHeaders, signedHeaders,
            Self.hex(SHA256.hash(data: request.body)),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(canonicalRequest.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        signed.headers["authorization"] =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return signed
    }

    /// `X-Amz-Date`'s form, `20150830T123600Z`.
    public static func timestamp(_ date: Date) -> String { timestampFormatter().string(from: date) }

    /// Reads an `x-amz-date` timestamp.
    public static func date(fromTimestamp text: String) -> Date? { timestampFormatter().date(from: text) }

    private static func timestampFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter
    }

    /// `host`, with the port when it is not the scheme's default (what an HTTP client sends).
    static func host(of url: URL) -> String {
        let host = url.host ?? ""
        guard let port = url.port, !(url.scheme == "https" && port == 443), !(url.scheme == "http" && port == 80) else { return host }
        return "\(host):\(port)"
    }

    /// The path as sent (already percent-encoded), encoded once more: every service but S3 signs it so.
    static func canonicalPath(_ url: URL) -> String {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? "/"
        return path.isEmpty ? "/" : path.split(separator: "/", omittingEmptySubsequences: false).map { encode(String($0)) }.joined(separator: "/")
    }

    static func canonicalQuery(_ url: URL) -> String {
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        return items.map { (encode($0.name), encode($0.value ?? "")) }.sorted { $0 < $1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// RFC 3986 encoding: everything but unreserved characters, as upper-case `%XX`.
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.hexString
    }
}
