import Foundation

/// Who a request comes from, for its share of what strangers can hold (`HTTPServerLimits`).
///
/// The connection's own address, unless that is a proxy of ours — loopback, a private or a
/// link-local address: Knative's queue-proxy, the OpenFaaS watchdog and Cloud Run's front end
/// connect from there. Then it is the rightmost public address in `X-Forwarded-For`: each proxy
/// appends the address that connected to it, so the rightmost entries are the ones a sender cannot
/// forge. A sender that reaches the port directly cannot choose its key at all.
enum PeerAddress {
    static func key(remote: String?, forwardedFor: String?) -> String {
        let remote = remote ?? "unknown"
        guard isInternal(remote), let forwardedFor else { return remote }
        // Bounded work on a header a stranger wrote: its last 1 KiB, at most 16 entries.
        let entries = forwardedFor.utf8.suffix(1024).split(separator: UInt8(ascii: ",")).suffix(16).reversed()
        for entry in entries {
            let address = String(decoding: entry, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard !address.isEmpty, address.count <= 45 else { continue }
            if !isInternal(address) { return address }
        }
        return remote
    }

    /// Loopback, private (RFC 1918, IPv6 unique local) or link-local: an address of the platform's
    /// network, not of a stranger on the internet.
    static func isInternal(_ address: String) -> Bool {
        let address = address.lowercased()
        if address.contains(":") {
            let plain = address.hasPrefix("::ffff:") ? String(address.dropFirst(7)) : address
            if plain != address { return isInternal(plain) }
            return address == "::1" || address.hasPrefix("fc") || address.hasPrefix("fd") || address.hasPrefix("fe8") || address.hasPrefix("fe9")
                || address.hasPrefix("fea") || address.hasPrefix("feb")
        }
        let octets = address.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return false }
        switch (octets[0], octets[1]) {
        case (127, _), (10, _), (192, 168), (169, 254): return true
        case (172, let second): return (16...31).contains(second)
        default: return false
        }
    }
}
