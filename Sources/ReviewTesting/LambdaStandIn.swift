import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// AWS Lambda's Invoke API as a caller sees it (`POST /2015-03-31/functions/{name}/invocations`),
/// with its documented refusals: 403 for a missing or wrong SigV4 signature or one older than five
/// minutes, 404 for an unknown function, 400 for an unknown invocation type. An `Event` invocation is
/// queued and answered 202 with no body; the stand-in records it for the test to run.
package final class LambdaStandIn: Sendable {
    package struct Invocation: Sendable, Equatable {
        package var function: String
        package var type: String
        package var payload: Data

        package init(function: String, type: String, payload: Data) {
            self.function = function
            self.type = type
            self.payload = payload
        }
    }

    package let server: HTTPServer
    private let state: NIOLockedValueBox<[Invocation]>
    package var url: URL { URL(string: "http://127.0.0.1:\(server.port)")! }
    package var invocations: [Invocation] { state.withLockedValue { $0 } }

    private init(server: HTTPServer, state: NIOLockedValueBox<[Invocation]>) {
        self.server = server
        self.state = state
    }

    package static func start(
        functions: Set<String>, credentials: AWSCredentials, region: String, now: @escaping @Sendable () -> Date = Date.init
    ) async throws -> LambdaStandIn {
        let state = NIOLockedValueBox<[Invocation]>([])
        let signer = AWSSigV4(credentials: credentials, region: region, service: "lambda")
        let server = try await HTTPServer.start(port: 0) { request in
            func error(_ status: Int, _ type: String, _ message: String) -> HTTPResponse { AWSStandIn.error(status, type, message) }
            if let refused = AWSStandIn.refusal(request, signer: signer, now: now()) { return refused }
            let parts = AWSStandIn.rawPath(request.url).split(separator: "/").map(String.init)
            guard request.method == "POST", parts.count == 4, parts[0] == "2015-03-31", parts[1] == "functions", parts[3] == "invocations" else {
                return error(404, "UnknownOperationException", "Unknown operation \(request.method) \(AWSStandIn.rawPath(request.url))")
            }
            let name = parts[2].removingPercentEncoding ?? parts[2]
            let function = name.split(separator: ":").count >= 7 ? String(name.split(separator: ":")[6]) : name
            guard functions.contains(function) else {
                return error(404, "ResourceNotFoundException", "Function not found: \(name)")
            }
            let type = request.header("x-amz-invocation-type") ?? "RequestResponse"
            guard ["Event", "RequestResponse", "DryRun"].contains(type) else {
                return error(400, "InvalidParameterValueException", "Unsupported invocation type \(type)")
            }
            state.withLockedValue { $0.append(Invocation(function: function, type: type, payload: request.body)) }
            return type == "Event" ? HTTPResponse(status: 202, headers: [:], body: Data()) : .json(200, Data("null".utf8))
        }
        return LambdaStandIn(server: server, state: state)
    }

    package func stop() async { await server.stop() }

}

/// What every AWS API stand-in checks first: a SigV4 signature, made within five minutes, that
/// matches the request; and how AWS's REST-JSON APIs answer an error.
package enum AWSStandIn {
    package static func error(_ status: Int, _ type: String, _ message: String) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: ["content-type": "application/json", "x-amzn-errortype": type],
            body: (try? JSONEncoder().encode(["Type": "User", "message": message])) ?? Data())
    }

    /// The refusal AWS would send for the request's signature, or nil when it is good.
    package static func refusal(_ request: HTTPRequest, signer: AWSSigV4, now: Date) -> HTTPResponse? {
        guard let authorization = request.header("authorization") else {
            return error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        }
        guard authorization.contains("/\(signer.region)/\(signer.service)/aws4_request") else {
            return error(403, "InvalidSignatureException", "Credential should be scoped to a valid region and service \(signer.service)")
        }
        guard let stamp = request.header("x-amz-date"), let date = AWSSigV4.date(fromTimestamp: stamp) else {
            return error(403, "InvalidSignatureException", "Missing or malformed X-Amz-Date")
        }
        if abs(date.timeIntervalSince(now)) > 300 {
            return error(403, "InvalidSignatureException", "Signature expired: \(stamp) is now earlier than the allowed window")
        }
        if expected(request, date: date, signer: signer) != authorization {
            return error(403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
        }
        return nil
    }

    /// The Authorization header the caller should have sent: the request re-signed from the headers it
    /// says it signed.
    static func expected(_ request: HTTPRequest, date: Date, signer: AWSSigV4) -> String? {
        guard let authorization = request.header("authorization"),
            let signedList = authorization.components(separatedBy: "SignedHeaders=").last?.split(separator: ",").first
        else { return nil }
        let signed = Set(signedList.split(separator: ";").map(String.init))
        guard let host = request.header("host"), signed.contains("host") else { return nil }
        var headers = request.headers.filter { signed.contains($0.key) && !["host", "x-amz-date", "x-amz-security-token"].contains($0.key) }
        headers["authorization"] = nil
        let copy = HTTPRequest(method: request.method, url: URL(string: "http://\(host)\(rawPath(request.url))")!, headers: headers, body: request.body)
        var credentials = signer.credentials
        credentials.sessionToken = signed.contains("x-amz-security-token") ? request.header("x-amz-security-token") : nil
        var resigner = signer
        resigner.credentials = credentials
        return resigner.sign(copy, at: date).header("authorization")
    }

    /// The path as sent, percent-encoding kept (`URL.path` decodes it).
    package static func rawPath(_ url: URL) -> String {
        URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? url.path
    }
}
