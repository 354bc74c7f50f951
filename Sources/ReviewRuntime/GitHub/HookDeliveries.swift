import Foundation
import ReviewCore

/// The App's webhook delivery log (`GET /app/hook/deliveries`) and redelivery
/// (`POST /app/hook/deliveries/{id}/attempts`) — GitHub's recommended way to recover deliveries
/// that failed, since it never redelivers by itself.
public struct HookDeliveries: Sendable {
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
    public var now: @Sendable () -> Date = Date.init

    public init(apiURL: URL, signer: GitHubAppSigner, transport: any HTTPTransport) {
        self.apiURL = apiURL
        self.signer = signer
        self.transport = transport
    }

    /// Deliveries since `cutoff`, newest first (pages are followed until they are older).
    public func list(since cutoff: Date) async throws -> [Delivery] {
        var deliveries: [Delivery] = []
        var next: URL? = URL(string: apiURL.appendingPathComponent("app/hook/deliveries").absoluteString + "?per_page=100")
        while let url = next {
            let response = try await send("GET", url, what: "listing webhook deliveries")
            guard let page = try? JSONDecoder.iso.decode([Delivery].self, from: response.body) else {
                throw ReviewError(.githubProtocol, "the delivery list is not an array of deliveries")
            }
            deliveries += page.filter { $0.delivered_at >= cutoff }
            next = page.contains { $0.delivered_at < cutoff } ? nil : GitHubClient.nextPage(response.header("link"))
        }
        return deliveries
    }

    /// The latest attempt of each delivery (by `guid`) none of whose attempts succeeded.
    public static func failed(_ deliveries: [Delivery]) -> [Delivery] {
        Dictionary(grouping: deliveries, by: \.guid).values.compactMap { attempts in
            attempts.contains { (200..<300).contains($0.status_code) } ? nil : attempts.max { $0.delivered_at < $1.delivered_at }
        }.sorted { $0.delivered_at < $1.delivered_at }
    }

    public func redeliver(_ delivery: Delivery) async throws {
        _ = try await send("POST", apiURL.appendingPathComponent("app/hook/deliveries/\(delivery.id)/attempts"), what: "redelivering \(delivery.guid)")
    }

    private func send(_ method: String, _ url: URL, what: String) async throws -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: method, url: url, headers: GitHubClient.headers(authorization: "Bearer \(signer.jwt(now: now()))")))
        } catch let error as ReviewError {
            throw ReviewError(.githubUnreachable, "GitHub unreachable while \(what): \(error.message)")
        }
        guard (200..<300).contains(response.status) else { throw GitHubClient.error(for: response, what: what, now: now()) }
        return response
    }
}
