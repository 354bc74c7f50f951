import Crypto
import Foundation

/// GitHub's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the exact body bytes.
public enum WebhookSignature {
    /// The header value GitHub would send for `body` signed with `secret`.
    public static func sign(_ body: some DataProtocol, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// True when `header` is a valid signature of `body` under any of `secrets` (constant-time per secret).
    public static func isValid(_ header: String?, body: some DataProtocol, secrets: [String]) -> Bool {
        guard let header, header.hasPrefix("sha256="),
              let mac = hexBytes(header.dropFirst("sha256=".count)), mac.count == SHA256.byteCount
        else { return false }
        var matched = false
        for secret in secrets where !secret.isEmpty {
            let key = SymmetricKey(data: Data(secret.utf8))
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key) { matched = true }
        }
        return matched
    }

    private static func hexBytes(_ hex: Substring) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
