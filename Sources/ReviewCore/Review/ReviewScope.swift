/// Which files are worth a reviewer's attention: lockfiles, generated, vendored, minified and
/// binary files are left out and listed by name in the review.
public enum ReviewScope {
    /// A file left out of the review, and why (shown in the review body).
    public struct Skipped: Sendable, Equatable, Codable {
        public var path: String
        public var reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    static let lockfiles: Set<String> = [
        "go.sum", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "Package.resolved",
        "poetry.lock", "Pipfile.lock", "Gemfile.lock", "composer.lock", "mix.lock", "flake.lock", "pubspec.lock", "uv.lock",
    ]
    static let vendoredFolders: Set<String> = ["vendor", "node_modules", "third_party", "third-party", "Pods", ".yarn"]
    static let generatedSuffixes = [".pb.go", ".pb.swift", "_pb2.py", ".generated.swift", ".g.dart", ".min.js", ".min.css", ".map", ".snap"]
    static let generatedInfixes = ["_generated.", ".generated."]

    /// Why `file` should not be reviewed, or nil when it should.
    public static func skipReason(_ file: DiffFile) -> String? {
        if file.isBinary { return "binary file" }
        if file.status == .removed { return "deleted file" }
        if file.hunks.isEmpty { return file.status == .renamed ? "renamed without changes" : "no changed lines (mode change only)" }
        // Byte-wise: paths are compared exactly, and Character-level string search is slow.
        let parts = file.path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        let name = parts.last ?? file.path
        if lockfiles.contains(name) { return "lockfile" }
        if parts.dropLast().contains(where: vendoredFolders.contains) { return "vendored code" }
        let nameBytes = Array(name.utf8)
        if generatedSuffixes.contains(where: { nameBytes.ends(with: $0.utf8) })
            || generatedInfixes.contains(where: name.containsBytes)
        {
            return "generated or minified file"
        }
        return nil
    }

    /// Splits a diff into what to review and what to list as not reviewed.
    public static func partition(_ diff: UnifiedDiff) -> (review: UnifiedDiff, skipped: [Skipped]) {
        var review: [DiffFile] = []
        var skipped: [Skipped] = []
        for file in diff.files {
            if let reason = skipReason(file) { skipped.append(Skipped(path: file.path, reason: reason)) } else { review.append(file) }
        }
        return (UnifiedDiff(files: review), skipped)
    }
}

private extension Array where Element == UInt8 {
    func ends(with suffix: String.UTF8View) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
