import Crypto
import Foundation
import ReviewCore
import _CryptoExtras

/// Signs the GitHub App's JWTs (RS256, PKCS#1 v1.5 padding: GitHub rejects PSS).
public struct GitHubAppSigner: Sendable {
    /// `GITHUB_APP_CLIENT_ID` (preferred by GitHub) or `GITHUB_APP_ID`.
    public let issuer: String
    private let key: _RSA.Signing.PrivateKey

    /// - Parameter pem: a PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`) key.
    public init(issuer: String, pem: String) throws(ReviewError) {
        self.issuer = issuer
        // Environment variables often carry the key with literal "\n" sequences.
        let text = pem.contains("\\n") && !pem.contains("\n") ? pem.replacingOccurrences(of: "\\n", with: "\n") : pem
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw .badConfig("GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key (PKCS#1 or PKCS#8)")
        }
    }

    /// A JWT valid from a minute ago (clock drift) for nine minutes (GitHub's limit is ten).
    public func jwt(now: Date) -> String {
        let issued = Int(now.timeIntervalSince1970) - 60
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        let payload = #"{"iat":\#(issued),"exp":\#(issued + 600),"iss":"\#(issuer)"}"#
        let input = Self.base64URL(Data(header.utf8)) + "." + Self.base64URL(Data(payload.utf8))
        // Signing with a valid key cannot fail for SHA-256 input.
        let signature = (try? key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5))?.rawRepresentation ?? Data()
        return input + "." + Self.base64URL(signature)
    }

    /// Base64url without padding, as JWTs are written.
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
