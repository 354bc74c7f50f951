import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// `reviewctl app create` in a real browser: our page posts the manifest to GitHub (the stand-in's
/// web form), GitHub sends the browser back with a code, the code becomes the App's credentials,
/// written to an env file only its owner can read.
@Suite struct AppCreateTests {
    @Test(.enabled(if: HeadlessBrowser.executable != nil, "needs chromium (make test installs it)"))
    func theManifestFlowEndsInAnEnvFileReviewJobCanUse() async throws {
        let app = try await GitHubTestApp.start()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("app-create-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let envFile = folder.appendingPathComponent("pr-review.env").path
        let served = try await ServedProcess.start(
            try Tools.binary("reviewctl"),
            arguments: [
                "app", "create", "--webhook-url", "https://hooks.example.com/", "--name", "My Reviewer", "--out", envFile,
                "--github-url", app.standIn.url.absoluteString, "--api-url", app.standIn.url.absoluteString, "--timeout", "120",
            ], environment: ["PATH": "/usr/bin:/bin"])
        // A page elsewhere that resolves its own name to 127.0.0.1 (DNS rebinding) gets nothing.
        let rebound = try await AsyncHTTPClientTransport().send(
            HTTPRequest(url: URL(string: "http://127.0.0.1:\(served.port)/")!, headers: ["host": "evil.example:\(served.port)"], timeout: 60))
        #expect(rebound.status == 403 && !String(decoding: rebound.body, as: UTF8.self).contains("state="))
        #expect(HTTPAccess.namesThisMachine(hostHeader: "localhost:8080") && !HTTPAccess.namesThisMachine(hostHeader: "127.0.0.1.evil.example:80"))
        // One load: the page sends the browser to GitHub, GitHub back to the command, which answers and exits.
        let screenshot = try await HeadlessBrowser.screenshot(URL(string: "http://127.0.0.1:\(served.port)/")!)
        let status = await served.waitForExit()
        await app.stop()
        #expect(status == 0)
        #expect(screenshot.starts(with: [0x89, 0x50, 0x4E, 0x47]) && screenshot.count > 5_000, "a PNG of the page the flow ends on")
        try screenshot.write(to: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("app-created.png"))

        let attributes = try FileManager.default.attributesOfItem(atPath: envFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: envFile, encoding: .utf8)
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        #expect(values["GITHUB_APP_SLUG"] == "my-reviewer" && Int(values["GITHUB_APP_ID"] ?? "") != nil)
        #expect(values["GITHUB_APP_CLIENT_ID"]?.hasPrefix("Iv1.") == true && (values["GITHUB_WEBHOOK_SECRET"]?.count ?? 0) >= 32)
        // review-job reads the key as the file holds it (quoted, on one line) and can sign with it.
        let config = GitHubAppConfig.load(EnvironmentReader(values))
        #expect(throws: Never.self) { try GitHubAppSigner(issuer: config.issuer, pem: config.privateKeyPEM) }
    }

    @Test func thePageEscapesTheManifestAndAStrangeCodeIsRefused() async throws {
        let app = try await GitHubTestApp.start()
        let flow = AppManifestFlow(name: "x\"<y>", webhookURL: "https://h/", githubURL: app.standIn.url, apiURL: app.standIn.url, organisation: "my org")
        let page = flow.startPage(callback: URL(string: "http://127.0.0.1:1/callback")!)
        #expect(page.contains("action=\"\(app.standIn.url.absoluteString)/organizations/my%20org/settings/apps/new?state=\(flow.state)\""), "\(page)")
        #expect(
            page.contains("&quot;redirect_url&quot;:&quot;http://127.0.0.1:1/callback&quot;") && !page.contains("<y>"),
            "the manifest, escaped in the form field")
        #expect(flow.state.count == 32)
        let refused: ReviewError?
        do {
            _ = try await flow.convert(code: "not-a-code", transport: AsyncHTTPClientTransport())
            refused = nil
        } catch {
            refused = ReviewError.from(error)
        }
        await app.stop()
        #expect(refused?.code == .githubNotFound, "\(String(describing: refused))")
        #expect(AppManifestFlow.escape("<a href=\"x\">'&") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;")
    }
}
