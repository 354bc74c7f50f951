import Foundation
import ReviewCore
import Yams

/// Reads `.github/prreview.yml` from the pull request's base branch. A missing file means defaults;
/// a broken one means defaults plus the problems, which the review body then states.
public enum RepoConfigLoader {
    public static let path = ".github/prreview.yml"

    public static func load(_ github: GitHubClient, job: ReviewJob, baseRef: String) async throws -> (RepoConfig, [String]) {
        guard let data = try await github.fileContents(job, path: path, ref: baseRef.isEmpty ? job.baseSha : baseRef) else { return (RepoConfig(), []) }
        return parse(String(decoding: data, as: UTF8.self))
    }

    public static func parse(_ text: String) -> (RepoConfig, [String]) {
        let document: Any?
        do {
            document = try Yams.load(yaml: text)
        } catch {
            return (RepoConfig(), ["\(path) is not valid YAML"])
        }
        guard let document else { return (RepoConfig(), []) }
        return RepoConfig.from(json(document))
    }

    private static func json(_ value: Any) -> JSONValue {
        switch value {
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .number(Double(number))
        case let number as Double: return .number(number)
        case let list as [Any]: return .array(list.map(json))
        case let map as [String: Any]: return .object(map.mapValues(json))
        case let map as [AnyHashable: Any]: return .object(Dictionary(map.map { ("\($0.key)", json($0.value)) }, uniquingKeysWith: { a, _ in a }))
        default: return .null
        }
    }
}
