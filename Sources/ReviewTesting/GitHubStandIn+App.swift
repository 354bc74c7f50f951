import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import _CryptoExtras

/// The App itself: its JWT, installation tokens, `GET /app`, its webhook deliveries, the manifest flow — and the stand-in's own endpoints for the demo.
extension GitHubStandIn.Router {
    func mintToken(_ request: HTTPRequest, installation: Int) -> HTTPResponse {
        guard let auth = request.header("authorization"), auth.hasPrefix("Bearer "), validJWT(String(auth.dropFirst(7))) else {
            return json(401, ["message": "A JSON web token could not be decoded", "documentation_url": "https://docs.github.com/rest"])
        }
        // repositories and permissions are optional ("…the token will have access to all
        // repositories … the permissions of the installation"); an empty list of either is refused.
        let body = (try? JSONValue.parse(request.body)) ?? .null
        if case .array(let repositories)? = body["repositories"], repositories.isEmpty {
            return json(422, ["message": "repositories must not be empty"])
        }
        var permissions: [String: JSONValue] = [:]
        if case .object(let asked)? = body["permissions"] { permissions = asked }
        let allowed = state.withLockedValue { $0.granted }
        for (name, level) in permissions where allowed[name] != level.stringValue && !(allowed[name] == "write" && level.stringValue == "read") {
            return json(422, ["message": "The permissions requested are not granted to this installation."])
        }
        let token = "ghs_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let expires = Date().addingTimeInterval(3600)
        let held = permissions.isEmpty ? allowed : permissions.compactMapValues(\.stringValue)
        state.withLockedValue { $0.tokens[token] = (installation, expires, held) }
        return json(201, ["token": token, "expires_at": expires.formatted(.iso8601), "permissions": held])
    }

    func validJWT(_ jwt: String) -> Bool {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let header = decode(parts[0]), let payload = decode(parts[1]), let signature = decode(parts[2]) else { return false }
        guard (try? JSONValue.parse(header))?["alg"]?.stringValue == "RS256" else { return false }
        let valid = publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: Data((parts[0] + "." + parts[1]).utf8), padding: .insecurePKCS1v1_5)
        guard valid, let claims = try? JSONValue.parse(payload), case .number(let iat)? = claims["iat"], case .number(let exp)? = claims["exp"],
            claims["iss"]?.stringValue == issuer
        else { return false }
        let now = Date().timeIntervalSince1970
        // GitHub: exp at most 10 minutes after iat, not expired, iat not in the future.
        return iat.rounded() == iat && exp - iat <= 600 && exp > now && iat <= now + 60
    }

    func decode(_ base64URL: String) -> Data? {
        var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text)
    }

    /// `GET /app`: "You must use a JWT to access this endpoint."
    func app() -> HTTPResponse {
        json(200, ["id": GitHubStandIn.appId, "slug": GitHubStandIn.appSlug, "name": "PR Review", "owner": ["login": "owner", "type": "Organization"]])
    }

    /// The App's webhook delivery log.
    func hookDeliveries() -> HTTPResponse { json(200, state.withLockedValue { $0.deliveries }.map(\.foundation)) }

    /// A redelivery asked for.
    func redeliver(id: Int) -> HTTPResponse {
        state.withLockedValue { $0.redelivered.append(id) }
        return json(202, [:] as [String: String])
    }

    /// GitHub's App manifest flow: the web form (`POST /settings/apps/new?state=…` or the
    /// organisation's) takes the `manifest` field and sends the browser to its `redirect_url`
    /// with a `code` and the `state`; `POST /app-manifests/{code}/conversions` trades the code,
    /// once and within an hour, for the new App's credentials.
    /// GitHub's "register an App from a manifest" form: a manifest POSTed, a redirect back with a one-time code.
    func manifestForm(_ request: HTTPRequest) -> HTTPResponse {
        let form =
            URLComponents(string: "?" + String(decoding: request.body, as: UTF8.self).replacingOccurrences(of: "+", with: "%20"))?.queryItems ?? []
        let given = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "state" }?.value ?? ""
        guard let text = form.first(where: { $0.name == "manifest" })?.value, let manifest = try? JSONValue.parse(Data(text.utf8)),
            manifest["name"]?.stringValue?.isEmpty == false, manifest["hook_attributes"]?["url"]?.stringValue != nil,
            let redirect = manifest["redirect_url"]?.stringValue, var target = URLComponents(string: redirect)
        else {
            return HTTPResponse(status: 422, headers: ["content-type": "text/html"], body: Data("<p>Invalid GitHub App configuration</p>".utf8))
        }
        let code = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        state.withLockedValue { $0.manifestCodes[code] = (manifest, Date()) }
        target.queryItems = [URLQueryItem(name: "code", value: code), URLQueryItem(name: "state", value: given)]
        return HTTPResponse(status: 302, headers: ["location": target.url?.absoluteString ?? redirect], body: Data())
    }

    /// `POST /app-manifests/{code}/conversions`: the App's credentials, once per code, within the hour.
    func convertManifest(_ request: HTTPRequest, code: String) -> HTTPResponse {
        guard let entry = state.withLockedValue({ $0.manifestCodes.removeValue(forKey: code) }), Date().timeIntervalSince(entry.issued) < 3600 else {
            return json(404, ["message": "Not Found"])
        }
        guard let key = try? _RSA.Signing.PrivateKey(keySize: .bits2048) else { return json(500, ["message": "key generation failed"]) }
        let name = entry.manifest["name"]?.stringValue ?? "app"
        let slug = name.lowercased().replacingOccurrences(of: " ", with: "-")
        let id = state.withLockedValue { state -> Int in
            state.nextId += 1
            return state.nextId
        }
        return json(
            201,
            [
                "id": id, "slug": slug, "name": name, "client_id": "Iv1.\(UUID().uuidString.prefix(8).lowercased())", "client_secret": UUID().uuidString,
                "webhook_secret": UUID().uuidString.replacingOccurrences(of: "-", with: ""), "pem": key.pemRepresentation,
                "html_url": "http://\(request.header("host") ?? "127.0.0.1")/apps/\(slug)", "owner": ["login": "octocat", "type": "User"],
            ])
    }

    /// Not GitHub: a person's comment on a served pull request, `{"pullRequest", "body", "login", "association"}`, for the demo.
    func seedComment(_ request: HTTPRequest) -> HTTPResponse {
        guard let body = try? JSONValue.parse(request.body), let key = body["pullRequest"]?.stringValue, let text = body["body"]?.stringValue else {
            return json(400, ["message": "pullRequest and body are required"])
        }
        let id = state.withLockedValue { state -> Int in
            state.nextId += 1
            state.issueComments[key, default: []].append(
                GitHubStandIn.Comment(
                    id: state.nextId, body: text, author: GitHubStandIn.Author(login: body["login"]?.stringValue ?? "octocat", type: "User"),
                    association: body["association"]?.stringValue ?? "MEMBER"))
            return state.nextId
        }
        return json(201, ["id": id])
    }

    /// Not GitHub: everything posted and refused, for the demo to print.
    func recorded() -> HTTPResponse {
        let (reviews, rejected, conversation, reactions, checkRuns) = state.withLockedValue {
            ($0.reviews, $0.rejected, $0.issueComments, $0.reactions, $0.checkRuns.sorted { $0.key < $1.key }.map(\.value.json))
        }
        var out: [[String: Any]] = []
        for (key, list) in reviews.sorted(by: { $0.key < $1.key }) {
            for review in list {
                let comments = review.comments.map(\.foundation)
                out.append([
                    "pullRequest": key, "id": review.id, "event": review.event, "commit_id": review.commitId, "body": review.body, "comments": comments,
                ])
            }
        }
        let comments = conversation.sorted { $0.key < $1.key }.flatMap { key, items in
            items.map { ["pullRequest": key, "id": $0.id, "body": $0.body, "author": $0.author?.login ?? ""] }
        }
        return json(200, ["reviews": out, "rejections": rejected, "comments": comments, "reactions": reactions, "checkRuns": checkRuns])
    }
}
