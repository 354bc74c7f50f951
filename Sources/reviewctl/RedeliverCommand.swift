import ArgumentParser
import Foundation
import ReviewCore
import ReviewRuntime

/// `reviewctl redeliver --since 24h`: redelivers, once each, the App's deliveries that never succeeded.
struct RedeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redeliver",
        abstract: "Redeliver the GitHub App's failed webhook deliveries (GITHUB_APP_CLIENT_ID or GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY[_FILE], GITHUB_API_URL)."
    )

    @Option(help: "How far back to look: 30m, 24h, 3d (GitHub keeps 3 days).") var since = "24h"
    @Flag(help: "List what would be redelivered without doing it.") var dryRun = false

    func validate() throws {
        guard Self.seconds(since) != nil else { throw ValidationError("--since must look like 30m, 24h or 3d") }
    }

    static func seconds(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value > 0 else { return nil }
        switch unit {
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86400
        default: return nil
        }
    }

    func run() async throws {
        let env = EnvironmentReader()
        let app = GitHubAppConfig.load(env)
        try env.validate()
        let deliveries = HookDeliveries(
            apiURL: app.apiURL, signer: try GitHubAppSigner(issuer: app.issuer, pem: app.privateKeyPEM), transport: AsyncHTTPClientTransport())
        let all = try await deliveries.list(since: deliveries.clock.now().addingTimeInterval(-(Self.seconds(since) ?? 86400)))
        let failed = HookDeliveries.failed(all)
        print("\(all.count) deliveries since \(since), \(failed.count) never succeeded")
        for delivery in failed {
            let label =
                "\(delivery.guid) \(delivery.event)\(delivery.action.map { ".\($0)" } ?? "") \(delivery.delivered_at.formatted(.iso8601)) (\(delivery.status))"
            if dryRun {
                print("would redeliver \(label)")
            } else {
                try await deliveries.redeliver(delivery)
                print("redelivered \(label)")
            }
        }
    }
}
