import Foundation
import PackagePlugin

/// Writes `BuildVersion.swift` (the package's version and commit, read from `.git` or a `VERSION`
/// file) into the target it is applied to, so `--version` and the User-Agent say what was built.
@main
struct VersionStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let root = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildVersion.swift")
        // Rebuilt when the checked-out commit or the tags change.
        var inputs = [".git/HEAD", ".git/packed-refs", "VERSION"].map { root.appending(path: $0) }
        if let head = try? String(contentsOf: root.appending(path: ".git/HEAD"), encoding: .utf8), head.hasPrefix("ref: ") {
            inputs.append(root.appending(path: ".git/" + head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        inputs.append(root.appending(path: ".git/refs/tags"))
        return [
            .buildCommand(
                displayName: "Stamping the build version", executable: try context.tool(named: "version-stamp").url,
                arguments: [root.path(), output.path()], inputFiles: inputs.filter { FileManager.default.fileExists(atPath: $0.path()) },
                outputFiles: [output])
        ]
    }
}
