import Foundation
import ReviewCore

/// What every call to GitHub's REST API shares: the headers, the checked call (a transport failure
/// is `github_unreachable`, an error answer its `ReviewError`), pagination, rate limits.
public enum GitHubAPI {
    /// The headers every GitHub call carries: authorization, accept, API version, user agent.
    public static func headers(authorization: String, accept: String = "application/vnd.github+json") -> [String: String] {
        [
            "accept": accept, "x-github-api-version": "2022-11-28", "authorization": authorization, "user-agent": Build.userAgent,
            "content-type": "application/json",
        ]
    }

    /// RFC 3986's unreserved characters: everything else in a path segment or query value is
    /// percent-encoded (`&`, `+`, `=`, `#`, `?` and `/` in a branch name or file name included).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// `value` as one path segment or query value.
    public static func encoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// `apiURL` followed by `segments`, each percent-encoded on its own, and `query` (encoded too).
    public static func url(_ apiURL: URL, _ segments: [String], query: [(String, String)] = []) -> URL {
        let base = apiURL.absoluteString.hasSuffix("/") ? String(apiURL.absoluteString.dropLast()) : apiURL.absoluteString
        let path = segments.map { "/" + encoded($0) }.joined()
        let parameters = query.isEmpty ? "" : "?" + query.map { encoded($0.0) + "=" + encoded($0.1) }.joined(separator: "&")
        // Every character is unreserved or percent-encoded, so the string is a valid URL.
        return URL(string: base + path + parameters) ?? apiURL
    }

    /// Sends `request`; a transport failure becomes `github_unreachable` and a non-2xx answer its
    /// `ReviewError` (a 401 is returned instead when `acceptingUnauthorized`, for the caller to retry).
    public static func call(
        _ request: HTTPRequest, transport: any HTTPTransport, what: String, now: Date, acceptingUnauthorized: Bool = false,
        observe: (HTTPResponse) -> Void = { _ in }
    ) async throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw ReviewError(.githubUnreachable, "GitHub unreachable while \(what): \(ReviewError.from(error).message)")
        }
        observe(response)
        if response.status == 401, acceptingUnauthorized { return response }
        guard (200..<300).contains(response.status) else { throw Self.error(for: response, what: what, now: now) }
        return response
    }

    /// A list's first page, asked for with GitHub's largest page size.
    public static func firstPage(_ url: URL) -> URL {
        URL(string: url.absoluteString + "?per_page=100") ?? url
    }

    /// Follows `rel="next"` from `first`, reading each page with `read` (which also says whether to go on).
    public static func pages<Item>(
        from first: URL, fetch: (URL) async throws -> HTTPResponse, read: (HTTPResponse) throws -> (items: [Item], more: Bool)
    ) async throws -> [Item] {
        var items: [Item] = []
        var next: URL? = first
        while let url = next {
            let response = try await fetch(url)
            let page = try read(response)
            items += page.items
            next = page.more ? nextPage(response.header("link")) : nil
        }
        return items
    }

    /// GitHub's error answers as `ReviewError`s: rate limits and 5xx are retryable (with the delay
    /// GitHub asked for), the rest are not.
    public static func error(for response: HTTPResponse, what: String, now: Date) -> ReviewError {
        let answer = try? JSONValue.parse(response.body)
        let message = answer?["message"]?.stringValue ?? ""
        // GitHub's `errors` say what exactly was refused: strings, or objects with a message or a code.
        let reasons = (answer?["errors"]?.arrayValue ?? []).compactMap { item in
            item.stringValue ?? item["message"]?.stringValue
                ?? [item["field"]?.stringValue, item["code"]?.stringValue].compactMap(\.self).joined(separator: " ")
        }.filter { !$0.isEmpty }
        let said = ([message] + reasons).filter { !$0.isEmpty }.joined(separator: "; ")
        let detail = "GitHub answered \(response.status) while \(what)" + (said.isEmpty ? "" : ": \(said.prefix(300))")
        let codes = (answer?["errors"]?.arrayValue ?? []).compactMap { $0["code"]?.stringValue }
        let cause = ReviewError.Cause(status: response.status, codes: codes, text: String(said.prefix(1_000)))
        if let limit = rateLimitDelay(response, message: message, now: now) {
            return ReviewError(.githubRateLimited, detail, retryAfter: limit, cause: cause)
        }
        let code: ReviewError.Code =
            switch response.status {
            case 401: .githubUnauthorized
            case 403: .githubForbidden
            case 404: .githubNotFound
            case 406 where String(decoding: response.body.prefix(65_536), as: UTF8.self).contains("too_large"): .githubTooLarge
            case 422: .githubUnprocessable
            case 500...599: .githubUnavailable
            default: .githubError
            }
        return ReviewError(code, detail, cause: cause)
    }

    /// `retry-after` (seconds or an HTTP date), else `x-ratelimit-remaining: 0` until
    /// `x-ratelimit-reset`, else at least 60 s for a secondary limit (GitHub: "wait for at least
    /// one minute before retrying"); nil when the answer is not a rate limit.
    public static func rateLimitDelay(_ response: HTTPResponse, message: String, now: Date) -> TimeInterval? {
        guard response.status == 403 || response.status == 429 else { return nil }
        if let wait = RetryAfter.seconds(now: now, header: response.header) { return max(1, wait) }
        if response.status == 429 || message.lowercased().contains("rate limit") { return 60 }
        return nil
    }

    /// An answer read as `T`; one that does not fit is a `github_protocol` error naming the field.
    public static func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, what: String) throws -> T {
        do {
            return try JSONDecoder.iso.decode(T.self, from: response.body)
        } catch {
            throw ReviewError(.githubProtocol, "GitHub's answer while \(what) is not what its API documents (\(DecodingFailure.describe(error)))")
        }
    }

    /// The `rel="next"` URL of a `Link` header.
    public static func nextPage(_ link: String?) -> URL? {
        guard let link else { return nil }
        for part in link.split(separator: ",") where part.contains("rel=\"next\"") {
            guard let open = part.firstIndex(of: "<"), let close = part.firstIndex(of: ">") else { continue }
            return URL(string: String(part[part.index(after: open)..<close]))
        }
        return nil
    }
}
