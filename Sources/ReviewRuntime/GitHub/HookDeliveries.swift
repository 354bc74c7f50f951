import Foundation
import ReviewCore

/// The App's webhook delivery log (`GET /app/hook/deliveries`) and redelivery
/// (`POST /app/hook/deliveries/{id}/attempts`) — GitHub's recommended way to recover deliveries
/// that failed, since it never redelivers by itself.
public struct HookDeliveries: Sendable {
    /// One delivery in the App's webhook log.
    public struct Delivery: Decodable, Sendable, Equatable {
        public let id: Int
        public let guid: String
        public let delivered_at: Date
        public let status: String
        public let status_code: Int
        public let event: String
        public let action: String?
    }

    public let apiURL: URL
    public let signer: GitHubAppSigner
    public let transport: any HTTPTransport
    public let clock: WallClock

    public init(apiURL: URL, signer: GitHubAppSigner, transport: any HTTPTransport, clock: WallClock = .system) {
        self.apiURL = apiURL
        self.signer = signer
        self.transport = transport
        self.clock = clock
    }

    /// Deliveries since `cutoff`, newest first (pages are followed until they are older).
    public func list(since cutoff: Date) async throws -> [Delivery] {
        let first = GitHubAPI.firstPage(apiURL.appendingPathComponent("app/hook/deliveries"))
        return try await GitHubAPI.pages(from: first, fetch: { try await send("GET", $0, what: "listing webhook deliveries") }) { response in
            guard let page = try? JSONDecoder.iso.decode([Delivery].self, from: response.body) else {
                throw ReviewError(.githubProtocol, "the delivery list is not an array of deliveries")
            }
            return (page.filter { $0.delivered_at >= cutoff }, !page.contains { $0.delivered_at < cutoff })
        }
    }

    /// The latest attempt of each delivery (by `guid`) none of whose attempts succeeded.
    public static func failed(_ deliveries: [Delivery]) -> [Delivery] {
        Dictionary(grouping: deliveries, by: \.guid).values.compactMap { attempts in
            attempts.contains { (200..<300).contains($0.status_code) } ? nil : attempts.max { $0.delivered_at < $1.delivered_at }
        }.sorted { $0.delivered_at < $1.delivered_at }
    }

    /// Asks GitHub to send this delivery again.
    public func redeliver(_ delivery: Delivery) async throws {
        _ = try await send("POST", apiURL.appendingPathComponent("app/hook/deliveries/\(delivery.id)/attempts"), what: "redelivering \(delivery.guid)")
    }

    private func send(_ method: String, _ url: URL, what: String) async throws -> HTTPResponse {
        let request = HTTPRequest(method: method, url: url, headers: GitHubAPI.headers(authorization: "Bearer \(signer.jwt(now: clock.now()))"))
        return try await GitHubAPI.call(request, transport: transport, what: what, now: clock.now())
    }
}
