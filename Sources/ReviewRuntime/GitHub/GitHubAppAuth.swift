import _CryptoExtras
import Crypto
import Foundation
import ReviewCore

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

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Installation tokens, down-scoped to one repository (`pull_requests: write`, `contents: read`),
/// cached until five minutes before they expire — in this process and in Redis, so a cold function
/// reuses the token a warm one minted.
public actor InstallationTokens {
    struct Cached: Codable { let token: String; let expiresAt: Date }

    private let signer: GitHubAppSigner
    private let apiURL: URL
    private let transport: any HTTPTransport
    private let queue: RedisJobQueue?
    private let now: @Sendable () -> Date
    private var memory: [String: Cached] = [:]
    private var knownIdentity: AppIdentity?

    /// - Parameter slug: the App's slug (`GITHUB_APP_SLUG`); without it, `GET /app` tells, once.
    public init(
        signer: GitHubAppSigner, apiURL: URL, transport: any HTTPTransport, queue: RedisJobQueue?, slug: String? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.signer = signer
        self.apiURL = apiURL
        self.transport = transport
        self.queue = queue
        self.now = now
        knownIdentity = slug.map { AppIdentity(slug: $0) }
    }

    /// Who this App is: the configured slug, else what `GET /app` answers (cached for the process).
    public func identity() async throws -> AppIdentity {
        if let knownIdentity { return knownIdentity }
        let response = try await transport.send(HTTPRequest(
            method: "GET", url: apiURL.appendingPathComponent("app"), headers: GitHubClient.headers(authorization: "Bearer \(signer.jwt(now: now()))")
        ))
        guard response.status == 200 else { throw GitHubClient.error(for: response, what: "reading the App (GET /app)", now: now()) }
        let json = JSONFieldReader(try JSONValue.parse(response.body, what: "GET /app"))
        let identity = AppIdentity(slug: try json.string("slug"), id: try? json.int("id"))
        knownIdentity = identity
        return identity
    }

    /// A token for `owner/repo` through `installationId`.
    public func token(installationId: Int, repository: String) async throws -> String {
        let key = "\(installationId) \(repository)"
        let fresh: (Cached) -> Bool = { $0.expiresAt.timeIntervalSince(self.now()) > 300 }
        if let cached = memory[key], fresh(cached) { return cached.token }
        if let queue, let stored = try? await queue.redis.send(["HGET", queue.installationTokenKey(installationId), repository]).string,
           let cached = try? JSONDecoder.iso.decode(Cached.self, from: Data(stored.utf8)), fresh(cached) {
            memory[key] = cached
            return cached.token
        }
        let cached = try await mint(installationId: installationId, repository: repository)
        memory[key] = cached
        if let queue, let data = try? JSONEncoder.iso.encode(cached) {
            let redisKey = queue.installationTokenKey(installationId)
            _ = try? await queue.redis.pipeline([
                ["HSET", redisKey, repository, String(decoding: data, as: UTF8.self)],
                ["EXPIREAT", redisKey, String(Int(cached.expiresAt.timeIntervalSince1970))],
            ])
        }
        return cached.token
    }

    /// Forgets a token GitHub refused, so the next call mints a new one.
    public func invalidate(installationId: Int, repository: String) async {
        memory["\(installationId) \(repository)"] = nil
        if let queue { _ = try? await queue.redis.send(["HDEL", queue.installationTokenKey(installationId), repository]) }
    }

    private func mint(installationId: Int, repository: String) async throws -> Cached {
        let name = repository.split(separator: "/").last.map(String.init) ?? repository
        let body = try JSONSerialization.data(withJSONObject: [
            "repositories": [name], "permissions": ["pull_requests": "write", "contents": "read"],
        ])
        let response = try await transport.send(HTTPRequest(
            method: "POST", url: apiURL.appendingPathComponent("app/installations/\(installationId)/access_tokens"),
            headers: GitHubClient.headers(authorization: "Bearer \(signer.jwt(now: now()))"), body: body
        ))
        guard response.status == 201 || response.status == 200 else {
            throw GitHubClient.error(for: response, what: "minting an installation token for installation \(installationId)", now: now())
        }
        struct Minted: Decodable { let token: String; let expires_at: Date }
        guard let minted = try? JSONDecoder.iso.decode(Minted.self, from: response.body) else {
            throw ReviewError(.githubProtocol, "installation token response is not {token, expires_at}")
        }
        return Cached(token: minted.token, expiresAt: minted.expires_at)
    }
}
