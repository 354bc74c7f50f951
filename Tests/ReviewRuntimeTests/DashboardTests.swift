import Foundation
import ReviewCore
import ReviewRuntime
import ReviewTesting
import Testing

/// `reviewctl dashboard` in a real browser (chromium over the DevTools protocol): the counts, a
/// seeded failed job with its error shown as text, and its Retry button moving it back to waiting.
@Suite struct DashboardTests {
    static var python: String? {
        let path = Tools.packageRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: path) && HeadlessBrowser.executable != nil ? path : nil
    }

    @Test(.enabled(if: python != nil, "needs chromium and the .venv's websocket-client (make test)"))
    func aFailedJobIsShownAndItsRetryButtonRequeuesIt() async throws {
        try await RedisHarness.with { harness in
            var settings = QueueSettings()
            settings.name = "dash"
            let queue = RedisJobQueue(redis: harness.client(), settings: settings)
            let failing = SampleJobs.job(pr: 7)
            _ = try await queue.enqueue(failing, now: Date())
            guard case .claimed(let claimed) = try await queue.claim(now: Date()) else { throw TestSetupError("no claim") }
            // The error quotes the pull request: hostile text the page must show as text.
            let hostile = "GitHub refused it: <img src=x onerror=\"document.title='pwned'\"> & more"
            _ = try await queue.fail(claimed.lease, error: ReviewError(.badInput, hostile), now: Date())
            _ = try await queue.enqueue(SampleJobs.job(pr: 8), now: Date())

            var env = harness.environment(queue: "dash")
            env["PATH"] = "/usr/bin:/bin"
            let served = try await ServedProcess.start(try Tools.binary("reviewctl"), arguments: ["dashboard", "--port", "0"], environment: env)
            let token = try #require(
                served.startupLog.range(of: #"#token=[0-9a-f]+"#, options: .regularExpression).map { String(served.startupLog[$0].dropFirst(7)) })
            let url = "http://127.0.0.1:\(served.port)/#token=\(token)"
            let shot = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString.prefix(8)).png")
            defer { try? FileManager.default.removeItem(at: shot) }
            let row = "tr[data-job=\"\(claimed.id)\"]"
            let run = try await ProcessRun.run(
                URL(fileURLWithPath: Self.python!),
                arguments: [
                    Tools.packageRoot.appendingPathComponent("scripts/browser_check.py").path, url, shot.path,
                    "wait:document.querySelector('#count-failed b')?.textContent === '1'",
                    "wait:document.querySelector('#count-waiting b')?.textContent === '1'",
                    "wait:document.querySelector(\(Self.js(row)))?.textContent.includes(\(Self.js(hostile)))",
                    // The job as people read it: octo-org/app#7@…, not its percent-encoded key.
                    "wait:document.querySelector(\(Self.js(row)))?.cells[0].textContent === \(Self.js(claimed.id.removingPercentEncoding ?? ""))",
                    "wait:document.querySelector('#failed img') === null && document.title !== 'pwned'",
                    "click:button[data-retry=\"\(claimed.id)\"]",
                    "wait:document.querySelector('#count-failed b')?.textContent === '0' && document.querySelector('#count-waiting b')?.textContent === '2'",
                ], environment: ["PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path])
            let screenshot = (try? Data(contentsOf: shot)) ?? Data()
            // The API without the token, or for another host name, is refused.
            let transport = AsyncHTTPClientTransport()
            let noToken = try await transport.send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(served.port)/api/state")!, timeout: 30))
            let rebound = try await transport.send(
                HTTPRequest(url: URL(string: "http://127.0.0.1:\(served.port)/")!, headers: ["host": "evil.example:80"], timeout: 30))
            await served.stop()
            #expect(run.exitCode == 0, "\(run.stdoutText)\(run.stderrText)")
            #expect(run.stdoutText.contains("pull request") && run.stdoutText.contains("octo-org/app#7"), "\(run.stdoutText)")
            #expect(screenshot.starts(with: [0x89, 0x50, 0x4E, 0x47]) && screenshot.count > 10_000, "a screenshot of the page after the retry")
            try? screenshot.write(to: FileManager.default.temporaryDirectory.appendingPathComponent("dashboard.png"))
            let record = try await queue.inspect(id: claimed.id, now: Date())
            #expect(record?.state == .waiting, "the retried job waits again")
            #expect(noToken.status == 401 && rebound.status == 401)
        }
    }

    /// A JavaScript string literal.
    static func js(_ text: String) -> String { String(decoding: try! JSONEncoder().encode(text), as: UTF8.self) }
}
