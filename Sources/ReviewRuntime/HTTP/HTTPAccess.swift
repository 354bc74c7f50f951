import Crypto
import Foundation
import ReviewCore

/// Who may call what we serve: a bearer token compared in constant time, and whether an address
/// is loopback (reachable only from the same machine).
public enum HTTPAccess {
    /// Compares in constant time (HMACs under a one-off key), so timing says nothing about the token.
    public static func bearer(_ header: String?, matches token: String) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        let key = SymmetricKey(size: .bits256)
        let expected = HMAC<SHA256>.authenticationCode(for: Data(token.utf8), using: key)
        return HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: Data(header.dropFirst("Bearer ".count).utf8), using: key)
    }

    /// The refusal for an operator's endpoint (`/metrics`, `/queue/depth`), or nil to answer: with
    /// `token` set a caller must hold it; without one the server must listen on loopback only.
    public static func operatorRefusal(_ request: HTTPRequest, token: String?, host: String) -> HTTPResponse? {
        let endpoint = "\(request.method) \(request.url.path)"
        if let token {
            guard !bearer(request.header("authorization"), matches: token) else { return nil }
            return ErrorAnswer(ReviewError(.unauthorized, "\(endpoint) needs Authorization: Bearer METRICS_TOKEN")).http
        }
        guard !isLoopback(host) else { return nil }
        let reason =
            "this server listens on \(host), beyond this machine: \(endpoint) needs METRICS_TOKEN (Authorization: Bearer), or listen on 127.0.0.1 (HOST)"
        return ErrorAnswer(ReviewError(.unauthorized, reason)).http
    }

    /// A fresh unguessable token (128 random bits, hex): a page's access token, a nonce, a flow's state.
    public static func newToken() -> String { SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }.hexString }

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Whether a request's `Host` header names this machine (`127.0.0.1:PORT`, `localhost:PORT`,
    /// `[::1]:PORT`). A page we serve on loopback checks it: a page elsewhere whose name resolves to
    /// 127.0.0.1 (DNS rebinding) reaches our port, but sends its own name as the Host.
    public static func namesThisMachine(hostHeader: String?) -> Bool {
        guard let header = hostHeader else { return false }
        return ["127.0.0.1:", "localhost:", "[::1]:"].contains { header.hasPrefix($0) && header.dropFirst($0.count).allSatisfy(\.isNumber) }
    }
}
