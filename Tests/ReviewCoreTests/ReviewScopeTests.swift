import ReviewCore
import Testing

@Suite struct ReviewScopeTests {
    static func file(_ path: String) -> DiffFile {
        DiffFile(
            oldPath: path, newPath: path, status: .modified,
            hunks: [
                DiffHunk(oldStart: 1, oldCount: 0, newStart: 1, newCount: 1, section: "", lines: [DiffLine(kind: .added, text: "x", oldLine: nil, newLine: 1)])
            ])
    }

    @Test(arguments: [
        ("go.sum", "lockfile"), ("web/package-lock.json", "lockfile"), ("Package.resolved", "lockfile"),
        ("vendor/github.com/x/y.go", "vendored code"), ("app/node_modules/left-pad/index.js", "vendored code"),
        ("ios/Pods/A/B.m", "vendored code"), ("api/service.pb.go", "generated or minified file"),
        ("static/app.min.js", "generated or minified file"), ("src/schema_generated.ts", "generated or minified file"),
        ("src/Models.generated.swift", "generated or minified file"),
    ])
    func skipped(path: String, reason: String) {
        #expect(ReviewScope.skipReason(Self.file(path)) == reason)
    }

    @Test(arguments: ["src/vendors/x.go", "vendor.go", "src/my_vendor/a.go", "go.sum.go", "docs/generated.md", "lib/minify.js", "ü/vendor.swift"])
    func reviewed(path: String) {
        #expect(ReviewScope.skipReason(Self.file(path)) == nil)
    }
}
