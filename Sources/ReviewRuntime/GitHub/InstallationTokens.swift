import Crypto
import Foundation
import ReviewCore
import _CryptoExtras

/// Installation tokens, down-scoped to one repository (`pull_requests: write`, `contents: read`,
/// `checks: write` where granted),
/// cached until five minutes before they expire — in this process and in `InstallationTokenCache`,
/// so a cold function reuses the token a warm one minted.
public actor InstallationTokens {
    typealias Cached = InstallationTokenCache.Entry

    private let signer: GitHubAppSigner
    private let apiURL: URL
    private let transport: any HTTPTransport
    private let shared: InstallationTokenCache?
    private let clock: WallClock
    private var memory: [String: Cached] = [:]
    /// The lookup or mint under way per "installation repository".
    private var inFlight: [String: Task<Cached, any Error>] = [:]
    private var knownIdentity: AppIdentity?

    /// - Parameter slug: the App's slug (`GITHUB_APP_SLUG`); without it, `GET /app` tells, once.
    public init(
        signer: GitHubAppSigner, apiURL: URL, transport: any HTTPTransport, cache: InstallationTokenCache?, slug: String? = nil,
        clock: WallClock = .system
    ) {
        self.signer = signer
        self.apiURL = apiURL
        self.transport = transport
        shared = cache
        self.clock = clock
        knownIdentity = slug.map { AppIdentity(slug: $0) }
    }

    /// Who this App is: the configured slug, else what `GET /app` answers (cached for the process).
    public func identity() async throws -> AppIdentity {
        if let knownIdentity { return knownIdentity }
        let request = HTTPRequest(
            method: "GET", url: apiURL.appendingPathComponent("app"), headers: GitHubAPI.headers(authorization: "Bearer \(signer.jwt(now: clock.now()))"))
        let response = try await GitHubAPI.call(request, transport: transport, what: "reading the App (GET /app)", now: clock.now())
        let json = JSONFieldReader(try JSONValue.parse(response.body, what: "GET /app"))
        let identity = AppIdentity(slug: try json.string("slug"), id: try? json.int("id"))
        knownIdentity = identity
        return identity
    }

    /// A token for `owner/repo` through `installationId`. One lookup or mint per installation and
    /// repository at a time: jobs asking meanwhile wait for its answer (single flight), so a burst
    /// of jobs for one repository mints once.
    public func token(installationId: Int, repository: String) async throws -> String {
        let key = "\(installationId) \(repository)"
        if let cached = memory[key], isFresh(cached) { return cached.token }
        if let flight = inFlight[key] { return try await flight.value.token }
        let flight = Task { try await self.fetch(installationId: installationId, repository: repository) }
        inFlight[key] = flight
        defer { inFlight[key] = nil }
        let cached = try await flight.value
        memory[key] = cached
        return cached.token
    }

    /// The shared cache's token, else a new one (stored there for other instances).
    private func fetch(installationId: Int, repository: String) async throws -> Cached {
        if let cached = await shared?.entry(installationId: installationId, repository: repository), isFresh(cached) { return cached }
        let cached = try await mint(installationId: installationId, repository: repository)
        await shared?.store(cached, installationId: installationId, repository: repository)
        return cached
    }

    /// Good for at least five more minutes.
    private func isFresh(_ cached: Cached) -> Bool { cached.expiresAt.timeIntervalSince(clock.now()) > 300 }

    /// Forgets a token GitHub refused, so the next call mints a new one.
    public func invalidate(installationId: Int, repository: String) async {
        memory["\(installationId) \(repository)"] = nil
        await shared?.remove(installationId: installationId, repository: repository)
    }

    /// What a token may do: post reviews and comments, read the repository, and — when the App
    /// was granted it — report a check run.
    static let permissions = ["pull_requests": "write", "contents": "read", "checks": "write"]

    /// An installation that predates `checks: write` refuses a token asking for it (422): then the
    /// token is minted without, and the review goes on with no check run.
    private func mint(installationId: Int, repository: String) async throws -> Cached {
        do {
            return try await mint(installationId: installationId, repository: repository, permissions: Self.permissions)
        } catch let error as ReviewError where error.code == .githubUnprocessable && error.cause?.text.contains("permissions") == true {
            var without = Self.permissions
            without["checks"] = nil
            return try await mint(installationId: installationId, repository: repository, permissions: without)
        }
    }

    private func mint(installationId: Int, repository: String, permissions: [String: String]) async throws -> Cached {
        let name = repository.split(separator: "/").last.map(String.init) ?? repository
        let body = try JSONSerialization.data(withJSONObject: ["repositories": [name], "permissions": permissions])
        let request = HTTPRequest(
            method: "POST", url: apiURL.appendingPathComponent("app/installations/\(installationId)/access_tokens"),
            headers: GitHubAPI.headers(authorization: "Bearer \(signer.jwt(now: clock.now()))"), body: body
        )
        let response = try await GitHubAPI.call(
            request, transport: transport, what: "minting an installation token for installation \(installationId)", now: clock.now())
        struct Minted: Decodable { let token: String; let expires_at: Date }
        guard let minted = try? JSONDecoder.iso.decode(Minted.self, from: response.body) else {
            throw ReviewError(.githubProtocol, "installation token response is not {token, expires_at}")
        }
        return Cached(token: minted.token, expiresAt: minted.expires_at)
    }
}
