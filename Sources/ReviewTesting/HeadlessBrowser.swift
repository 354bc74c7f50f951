import Foundation

/// Debian's chromium, headless: loads a page — running its scripts and following where they lead
/// — and gives a PNG screenshot of the page it ends on. (Clicks and checks: scripts/browser_check.py.)
package enum HeadlessBrowser {
    package static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A screenshot of the page `url` ends on.
    package static func screenshot(_ url: URL, size: (Int, Int) = (1100, 800)) async throws -> Data {
        try await run(url, size: size) { ["--screenshot=\($0.appendingPathComponent("page.png").path)"] }.png ?? Data()
    }

    private static func run(_ url: URL, size: (Int, Int), mode: (URL) -> [String]) async throws -> (stdout: String, png: Data?) {
        guard let executable else { throw TestSetupError("chromium not found: apt-get install chromium (make test does)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)", "--virtual-time-budget=15000", "--window-size=\(size.0),\(size.1)",
            ] + mode(folder) + [url.absoluteString]
        let run = try await ProcessRun.run(URL(fileURLWithPath: executable), arguments: arguments, environment: ["PATH": "/usr/bin:/bin", "HOME": folder.path])
        guard run.exitCode == 0 else { throw TestSetupError("chromium failed (\(run.exitCode)): \(run.stderrText.suffix(2000))") }
        return (run.stdoutText, try? Data(contentsOf: folder.appendingPathComponent("page.png")))
    }
}
