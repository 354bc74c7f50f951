import Foundation
import ReviewCore

/// GitHub's "registering a GitHub App from a manifest" flow, run from the operator's machine: a
/// page on loopback POSTs the manifest to GitHub, GitHub sends the browser back with a one-time
/// `code` (and our `state`), and the code is converted (`POST /app-manifests/{code}/conversions`)
/// into the App's id, client id, slug, webhook secret and private key, written to an env file only
/// its owner can read. Nothing secret is printed.
public struct AppManifestFlow: Sendable {
    public var name: String
    public var webhookURL: String
    /// https://github.com (or a GitHub Enterprise Server's).
    public var githubURL: URL
    public var apiURL: URL
    /// An organisation to own the App; nil: the signed-in user.
    public var organisation: String?
    /// Unguessable: the callback takes only a browser that came through our page.
    public let state: String

    public init(name: String, webhookURL: String, githubURL: URL, apiURL: URL, organisation: String? = nil, state: String = HTTPAccess.newToken()) {
        self.name = name
        self.webhookURL = webhookURL
        self.githubURL = githubURL
        self.apiURL = apiURL
        self.organisation = organisation
        self.state = state
    }

    /// The App's permissions and events (the same as `infra/github-app-manifest.json`).
    public static let permissions: [String: String] = ["pull_requests": "write", "contents": "read", "checks": "write", "metadata": "read"]
    public static let events = ["pull_request", "issue_comment", "pull_request_review_comment"]

    /// The manifest, with GitHub sending the browser back to `callback`.
    public func manifest(callback: URL) -> Data {
        let document: [String: Any] = [
            "name": name, "url": "https://github.com/apps/\(name)",
            "description": "Self-hosted AI pull-request reviewer: one COMMENT review per pull-request head.",
            "hook_attributes": ["url": webhookURL, "active": true], "redirect_url": callback.absoluteString, "public": false,
            "default_permissions": Self.permissions, "default_events": Self.events,
        ]
        return (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// Where the page POSTs the manifest.
    public var creationURL: URL {
        let path = organisation.map { "organizations/\(GitHubAPI.encoded($0))/settings/apps/new" } ?? "settings/apps/new"
        return URL(string: githubURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/" + path + "?state=" + state)!
    }

    /// The page that sends the browser to GitHub with the manifest (at once, or on the button without script).
    public func startPage(callback: URL) -> String {
        let manifest = String(decoding: manifest(callback: callback), as: UTF8.self)
        return Self.page(
            title: "Create the GitHub App",
            body: """
                <p>Creating the GitHub App <strong>\(Self.escape(name))</strong>, its webhook at <code>\(Self.escape(webhookURL))</code>.</p>
                <form id="create" method="post" action="\(Self.escape(creationURL.absoluteString))">
                  <input type="hidden" name="manifest" value="\(Self.escape(manifest))">
                  <button type="submit">Continue on GitHub</button>
                </form>
                <script>document.getElementById('create').submit();</script>
                """)
    }

    /// What the App's credentials are, as the conversion answers them.
    public struct Credentials: Decodable, Sendable {
        public let id: Int
        public let slug: String
        public let client_id: String
        public let webhook_secret: String
        public let pem: String
        public let html_url: String?
    }

    /// Trades the one-time code for the App's credentials (the code needs no other authentication).
    public func convert(code: String, transport: any HTTPTransport) async throws -> Credentials {
        let url = GitHubAPI.url(apiURL, ["app-manifests", code, "conversions"])
        let request = HTTPRequest(
            method: "POST", url: url, headers: ["accept": "application/vnd.github+json", "x-github-api-version": "2022-11-28"], body: Data())
        let response = try await GitHubAPI.call(request, transport: transport, what: "converting the manifest code", now: Date())
        do {
            return try JSONDecoder().decode(Credentials.self, from: response.body)
        } catch {
            throw ReviewError(.githubProtocol, "the manifest conversion answer lacks id, slug, client_id, webhook_secret or pem")
        }
    }

    /// The env file: one `KEY=value` per line; the key on one line, quoted, its breaks written `\n`
    /// (review-job reads it back either way: as a docker/systemd env file or sourced by a shell).
    public static func envFile(_ credentials: Credentials) -> String {
        let pem = credentials.pem.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "\\n")
        return """
            # The GitHub App \(credentials.slug), created by reviewctl app create. Keep this file secret.
            GITHUB_APP_ID=\(credentials.id)
            GITHUB_APP_CLIENT_ID=\(credentials.client_id)
            GITHUB_APP_SLUG=\(credentials.slug)
            GITHUB_WEBHOOK_SECRET=\(credentials.webhook_secret)
            GITHUB_APP_PRIVATE_KEY='\(pem)'

            """
    }

    /// Writes `text` to a new file readable by its owner only (0600 from the start: never a moment
    /// with wider permissions); refuses to replace an existing file.
    public static func writeSecretFile(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw ReviewError(.badInput, "cannot create \(path): \(String(cString: strerror(errno))) (an existing file is never replaced)")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw ReviewError(.internal, "cannot write \(path)") }
    }

    public static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}code{background:#f4f4f4;padding:0 .2em}</style>
        </head><body><h1>\(escape(title))</h1>
        \(body)
        </body></html>
        """
    }

    /// Text made safe inside HTML text and double-quoted attributes.
    public static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
