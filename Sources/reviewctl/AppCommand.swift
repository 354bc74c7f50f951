import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime

/// `reviewctl app create`: the GitHub App made from its manifest, its credentials in an env file.
struct AppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app", abstract: "The GitHub App this system acts as.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the GitHub App from its manifest and write its credentials to an env file (mode 0600).",
            discussion: """
                Serves a page on 127.0.0.1: open it in a browser signed in to GitHub, confirm on GitHub, and \
                GitHub sends the browser back here with a one-time code, which is converted into the App's id, \
                client id, slug, webhook secret and private key. Nothing secret is printed.
                """
        )

        @Option(help: "The App's name (GitHub makes its slug from it).") var name = "pr-review"
        @Option(help: "webhook-ingest's URL (if not deployed yet, any https URL; change it on the App's page later).") var webhookURL: String
        @Option(help: "An organisation to own the App (default: your account).") var org: String?
        @Option(help: "The env file to write (never replaced if it exists).") var out = "pr-review.env"
        @Option(help: "Port on 127.0.0.1 (0 picks a free one).") var port = 0
        @Option(help: "GitHub's web address (GitHub Enterprise Server: https://HOST).") var githubURL = "https://github.com"
        @Option(help: "GitHub's API (GitHub Enterprise Server: https://HOST/api/v3).") var apiURL = "https://api.github.com"
        @Option(help: "Seconds to wait for the browser to come back.") var timeout: Double = 900

        func validate() throws {
            guard URL(string: webhookURL)?.scheme?.hasPrefix("http") == true else { throw ValidationError("--webhook-url must be an http(s) URL") }
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists; it is never replaced (--out another file)") }
            guard let github = URL(string: githubURL), github.host != nil, let api = URL(string: apiURL), api.host != nil else {
                throw ValidationError("--github-url and --api-url must be URLs")
            }
        }

        func run() async throws {
            let flow = AppManifestFlow(
                name: name, webhookURL: webhookURL, githubURL: URL(string: githubURL)!, apiURL: URL(string: apiURL)!, organisation: org)
            let (done, finish) = AsyncStream.makeStream(of: Result<String, ReviewError>.self)
            let outPath = out
            // The bound port, known only once the server listens (the page's callback URL names it).
            let callbackPort = NIOLockedValueBox(0)
            let server = try await HTTPServer.start(host: "127.0.0.1", port: port) { request in
                let callback = URL(string: "http://127.0.0.1:\(callbackPort.withLockedValue { $0 })/callback")!
                // The flow's state and the App's credentials are for this machine's browser, not a
                // page elsewhere that resolves its own name to 127.0.0.1 (DNS rebinding).
                guard HTTPAccess.namesThisMachine(hostHeader: request.header("host")) else {
                    return .html(403, AppManifestFlow.page(title: "Not this way", body: "<p>This page answers requests for 127.0.0.1 only.</p>"))
                }
                switch (request.method, request.url.path) {
                case ("GET", "/"):
                    return .html(200, flow.startPage(callback: callback))
                case ("GET", "/callback"):
                    let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems ?? []
                    guard query.first(where: { $0.name == "state" })?.value == flow.state, let code = query.first(where: { $0.name == "code" })?.value else {
                        return .html(400, AppManifestFlow.page(title: "Not this way", body: "<p>This link did not come from the page this command served.</p>"))
                    }
                    do {
                        let credentials = try await flow.convert(code: code, transport: AsyncHTTPClientTransport())
                        try AppManifestFlow.writeSecretFile(AppManifestFlow.envFile(credentials), to: outPath)
                        finish.yield(.success("created the GitHub App \(credentials.slug) (id \(credentials.id)); its credentials are in \(outPath)"))
                        let install =
                            credentials.html_url.map {
                                " Install it: <a href=\"\(AppManifestFlow.escape($0))/installations/new\">\(AppManifestFlow.escape($0))/installations/new</a>."
                            } ?? ""
                        return .html(
                            200,
                            AppManifestFlow.page(
                                title: "App created",
                                body:
                                    "<p>The GitHub App <strong>\(AppManifestFlow.escape(credentials.slug))</strong> was created; its credentials are in <code>\(AppManifestFlow.escape(outPath))</code> (readable by you only).\(install)</p>"
                            ))
                    } catch {
                        let failure = ReviewError.from(error)
                        finish.yield(.failure(failure))
                        return .html(502, AppManifestFlow.page(title: "Not created", body: "<p>\(AppManifestFlow.escape(failure.message))</p>"))
                    }
                default:
                    return .html(404, AppManifestFlow.page(title: "Not found", body: ""))
                }
            }
            callbackPort.withLockedValue { $0 = server.port }
            FileHandle.standardError.write(
                Data(
                    "reviewctl app create: open http://127.0.0.1:\(server.port)/ in a browser signed in to GitHub (serving on 127.0.0.1:\(server.port))\n".utf8)
            )
            let result = await withTaskGroup(of: Result<String, ReviewError>?.self) { group in
                group.addTask {
                    for await result in done { return result }
                    return nil
                }
                group.addTask {
                    try? await WallClock.system.sleep(timeout)
                    return .failure(ReviewError(.timeout, "no answer from GitHub within \(Int(timeout)) seconds"))
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            await server.stop()
            switch result {
            case .success(let message)?: print(message)
            case .failure(let error)?: throw error
            case nil: throw ReviewError(.internal, "the page stopped before GitHub answered")
            }
        }
    }
}

extension HTTPResponse {
    /// A page of ours: not cached, not framed, no referrer, with its content security policy.
    static func html(
        _ status: Int, _ page: String,
        contentSecurityPolicy: String = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action *"
    ) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [
                "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY", "referrer-policy": "no-referrer",
                "content-security-policy": contentSecurityPolicy,
            ], body: Data(page.utf8))
    }
}
