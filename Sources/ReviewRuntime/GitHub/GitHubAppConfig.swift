import Crypto
import Foundation
import Logging
import ReviewCore

/// The GitHub App review-job acts as.
public struct GitHubAppConfig: Sendable, CustomStringConvertible {
    /// `GITHUB_APP_CLIENT_ID`, else `GITHUB_APP_ID`: the JWT's `iss`.
    public var issuer: String
    public var privateKeyPEM: String
    public var apiURL: URL
    /// `GITHUB_APP_SLUG`: saves the one `GET /app` that otherwise tells review-job its bot's login.
    public var slug: String?
    /// `GITHUB_RATE_LIMIT_RESERVE`: requests of an installation's quota never spent; below it the
    /// installation waits for its reset.
    public var rateLimitReserve = 50
    /// Each installation's writes: seconds between two, content-creating ones a minute and an hour
    /// (`GITHUB_WRITE_GAP_SECONDS`, `GITHUB_CONTENT_WRITES_PER_MINUTE`, `GITHUB_CONTENT_WRITES_PER_HOUR`; GitHub's numbers).
    public var writeGap: TimeInterval = 1
    public var contentWritesPerMinute = 80
    public var contentWritesPerHour = 500

    /// Reads the App's id, key, slug and API URL from the environment.
    public static func load(_ env: EnvironmentReader) -> GitHubAppConfig {
        let issuer = env.optional("GITHUB_APP_CLIENT_ID") ?? env.required("GITHUB_APP_ID")
        var pem = env.optional("GITHUB_APP_PRIVATE_KEY")  // or GITHUB_APP_PRIVATE_KEY_FILE, as every variable
        // An env file holds a key on one line, perhaps quoted, its line breaks written `\n`.
        if var oneLine = pem, !oneLine.contains("\n") {
            if oneLine.count >= 2, let first = oneLine.first, first == oneLine.last, first == "'" || first == "\"" {
                oneLine = String(oneLine.dropFirst().dropLast())
            }
            pem = oneLine.replacingOccurrences(of: "\\n", with: "\n")
        }
        var config = GitHubAppConfig(
            issuer: issuer, privateKeyPEM: pem ?? env.required("GITHUB_APP_PRIVATE_KEY"),
            apiURL: env.url("GITHUB_API_URL", default: "https://api.github.com"), slug: env.optional("GITHUB_APP_SLUG")
        )
        config.rateLimitReserve = env.int("GITHUB_RATE_LIMIT_RESERVE", default: config.rateLimitReserve, range: 0...15_000)
        config.writeGap = env.seconds("GITHUB_WRITE_GAP_SECONDS", default: config.writeGap)
        config.contentWritesPerMinute = env.int("GITHUB_CONTENT_WRITES_PER_MINUTE", default: config.contentWritesPerMinute, range: 1...10_000)
        config.contentWritesPerHour = env.int("GITHUB_CONTENT_WRITES_PER_HOUR", default: config.contentWritesPerHour, range: 1...100_000)
        return config
    }

    public var secretValues: [String] { [privateKeyPEM] }
    public var description: String { "GitHubAppConfig(issuer: \(issuer), privateKey: <redacted>, apiURL: \(apiURL), slug: \(slug ?? "from GET /app"))" }
}
