import Foundation
import ReviewCore
import ReviewRuntime
import _CryptoExtras

/// A test App: one RSA key (made once per test run), the stand-in that trusts it, and the client
/// review-job would build.
package struct GitHubTestApp: Sendable {
    package static let issuer = "Iv1.test-client-id"
    package static let key: _RSA.Signing.PrivateKey = {
        // 2048-bit generation takes a moment; one key serves every test.
        (try? _RSA.Signing.PrivateKey(keySize: .bits2048)) ?? { fatalError("cannot generate an RSA test key") }()
    }()

    package static var keyPEM: String { key.pkcs8PEMRepresentation }

    package let standIn: GitHubStandIn
    package let signer: GitHubAppSigner

    package static func start() async throws -> GitHubTestApp {
        let standIn = try await GitHubStandIn.start(publicKey: key.publicKey, issuer: issuer)
        return GitHubTestApp(standIn: standIn, signer: try GitHubAppSigner(issuer: issuer, pem: key.pemRepresentation))
    }

    package func client(queue: RedisJobQueue? = nil, transport: any HTTPTransport = AsyncHTTPClientTransport(), clock: WallClock = .system) -> GitHubClient {
        let tokens = InstallationTokens(signer: signer, apiURL: standIn.url, transport: transport, cache: queue.map(InstallationTokenCache.init(queue:)))
        return GitHubClient(apiURL: standIn.url, transport: transport, tokens: tokens, clock: clock)
    }

    /// The job ingest would enqueue for the pull request the stand-in serves from `fixture`.
    package func job(for fixture: PullRequestFixture) -> ReviewJob {
        let served = standIn.serve(fixture)
        return ReviewJob(
            PullRequestRef(owner: served.owner, repo: served.repo, number: served.number, installationId: 42),
            .review(.init(head: served.head, base: served.base)), deliveryId: "delivery-\(fixture.name)", enqueuedAt: Date())
    }
}

/// A model stand-in that quotes real lines of the diff it is given (with its line numbers off by a
/// few), the way a model that reads the code but miscounts would.
package struct QuotingModel: ReviewModel {
    package var perFile: Int
    package var lineError: Int

    package init(perFile: Int = 3, lineError: Int = 5) {
        self.perFile = perFile
        self.lineError = lineError
    }

    package func review(_ input: ReviewInput) async throws -> ModelReview {
        var findings: [Finding] = []
        for file in input.diff.files {
            let added = file.hunks.flatMap(\.lines).filter { $0.kind == .added && !Finding.normalise($0.text).isEmpty }
            for (n, line) in added.prefix(perFile).enumerated() {
                findings.append(
                    Finding(
                        path: file.path, side: .right, line: (line.newLine ?? 0) + (n.isMultiple(of: 2) ? lineError : -lineError),
                        quote: String(line.text), severity: n == 0 ? .bug : .maintainability, title: "Check this line \(n)",
                        body: "Scripted finding \(n) on \(file.path).", suggestion: n == 0 ? Finding.normalise(line.text) : nil
                    ))
            }
        }
        return ModelReview(
            findings: findings, summary: "Scripted review.", usage: ModelUsage(inputTokens: 1200, outputTokens: 300, costUSD: 0.0021), provider: "test",
            model: "quoting-model")
    }
}
