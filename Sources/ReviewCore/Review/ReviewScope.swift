/// Which files are worth a reviewer's attention: lockfiles, generated, vendored, minified and
/// binary files are left out and listed by name in the review.
public enum ReviewScope {
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
    static let vendoredFolders = ["vendor/", "node_modules/", "third_party/", "third-party/", "Pods/", ".yarn/"]
    static let generatedSuffixes = [".pb.go", ".pb.swift", "_pb2.py", ".generated.swift", ".g.dart", ".min.js", ".min.css", ".map", ".snap"]

    /// Why `file` should not be reviewed, or nil when it should.
    public static func skipReason(_ file: DiffFile) -> String? {
        let path = file.path
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if file.isBinary { return "binary file" }
        if file.status == .removed { return "deleted file" }
        if file.hunks.isEmpty { return file.status == .renamed ? "renamed without changes" : "no changed lines (mode change only)" }
        if lockfiles.contains(name) { return "lockfile" }
        if vendoredFolders.contains(where: { path.hasPrefix($0) || path.contains("/" + $0) }) { return "vendored code" }
        if generatedSuffixes.contains(where: { name.hasSuffix($0) }) || name.contains("_generated.") || name.contains(".generated.") {
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
