import Foundation

/// How long a service asked us to wait, read from the headers it documents:
/// - `retry-after`: seconds, or an HTTP date (RFC 9110 §10.2.3; GitHub and Anthropic send seconds);
/// - GitHub's `x-ratelimit-remaining: 0` with `x-ratelimit-reset` (epoch seconds);
/// - OpenAI's `x-ratelimit-remaining-requests|tokens: 0` with `x-ratelimit-reset-requests|tokens`
///   (durations such as `1s`, `6m0s`, `20ms`, `1h2m3.5s`);
/// - Anthropic's `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-remaining: 0`
///   with the matching `-reset` (an RFC 3339 time).
///
/// Each reader is one pass over a short header value; values past a day are capped there.
public enum RetryAfter {
    /// The longest wait any header can ask for.
    public static let longest: TimeInterval = 86_400

    /// The wait the headers ask for (`header` looks a name up case-insensitively), or nil.
    public static func seconds(now: Date, header: (String) -> String?) -> TimeInterval? {
        var waits: [TimeInterval] = []
        if let value = header("retry-after"), let wait = retryAfter(value, now: now) { waits.append(wait) }
        if header("x-ratelimit-remaining") == "0", let reset = header("x-ratelimit-reset").flatMap(TimeInterval.init) {
            waits.append(reset - now.timeIntervalSince1970)
        }
        for kind in ["requests", "tokens"] where header("x-ratelimit-remaining-\(kind)") == "0" {
            if let wait = header("x-ratelimit-reset-\(kind)").flatMap(duration) { waits.append(wait) }
        }
        for kind in ["requests", "tokens", "input-tokens", "output-tokens"] where header("anthropic-ratelimit-\(kind)-remaining") == "0" {
            if let reset = header("anthropic-ratelimit-\(kind)-reset").flatMap(rfc3339) { waits.append(reset.timeIntervalSince(now)) }
        }
        return waits.max().map { min(longest, max(0, $0)) }
    }

    /// `retry-after`: delay-seconds or an HTTP date.
    public static func retryAfter(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = TimeInterval(trimmed), seconds.isFinite { return min(longest, max(0, seconds)) }
        guard trimmed.count <= 64, let date = httpDate(trimmed) else { return nil }
        return min(longest, max(0, date.timeIntervalSince(now)))
    }

    /// A Go-style duration as OpenAI writes it: `1h2m3.5s`, `6m0s`, `20ms`, `0.5s`.
    public static func duration(_ value: String) -> TimeInterval? {
        let text = Array(value.trimmingCharacters(in: .whitespaces).utf8)
        guard !text.isEmpty, text.count <= 32 else { return nil }
        var total: TimeInterval = 0
        var index = 0
        while index < text.count {
            let start = index
            while index < text.count, text[index] == UInt8(ascii: ".") || (text[index] >= UInt8(ascii: "0") && text[index] <= UInt8(ascii: "9")) {
                index += 1
            }
            guard index > start, let number = TimeInterval(String(decoding: text[start..<index], as: UTF8.self)) else { return nil }
            let unitStart = index
            while index < text.count, text[index] >= UInt8(ascii: "a"), text[index] <= UInt8(ascii: "z") { index += 1 }
            switch String(decoding: text[unitStart..<index], as: UTF8.self) {
            case "h": total += number * 3600
            case "m": total += number * 60
            case "s": total += number
            case "ms": total += number / 1000
            default: return nil
            }
        }
        return min(longest, total)
    }

    /// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110 says to send.
    static func httpDate(_ value: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value)
    }

    static func rfc3339(_ value: String) -> Date? {
        guard value.count <= 64 else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: value) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: value)
    }
}
