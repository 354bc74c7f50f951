import Crypto
import Foundation

/// GitHub's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the exact body bytes.
public enum WebhookSignature {
    /// The header value GitHub would send for `body` signed with `secret`.
    public static func sign(_ body: some DataProtocol, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.hexString
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

    /// Exactly 64 lowercase or uppercase hex digits, nothing else (no sign, no spaces).
    private static func hexBytes(_ hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * SHA256.byteCount else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256.byteCount)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let high = nibble(digits[pair]), let low = nibble(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
