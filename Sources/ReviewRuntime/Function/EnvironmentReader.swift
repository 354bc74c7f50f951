import Foundation
import ReviewCore

/// Reads a function's configuration from environment variables once, collecting every missing or
/// invalid variable so that one error names them all. Tests pass a dictionary; nothing calls `setenv`.
public final class EnvironmentReader {
    public let values: [String: String]
    private var missing: [String] = []
    private var invalid: [String] = []
    /// What each `NAME_FILE` held, read once however often `NAME` is asked for.
    private var fromFiles: [String: String?] = [:]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The largest file a `NAME_FILE` variable may name (a PEM key is about 3 KB).
    static let maxFileBytes = 1 << 20

    /// `NAME`'s value as given: the variable itself, or — Docker's and OpenFaaS's convention for
    /// secrets mounted as files — the contents of the file `NAME_FILE` names, one trailing line
    /// break removed. A file that cannot be read is reported by its variable's name.
    private func given(_ key: String) -> String? {
        if let value = values[key], !value.isEmpty { return value }
        guard let path = values[key + "_FILE"], !path.isEmpty else { return nil }
        if let known = fromFiles[key] { return known }
        let text = read(key, file: path)
        fromFiles[key] = .some(text)
        return text
    }

    private func read(_ key: String, file path: String) -> String? {
        let handle = FileHandle(forReadingAtPath: path)
        defer { try? handle?.close() }
        guard let data = try? handle?.read(upToCount: Self.maxFileBytes + 1), data.count <= Self.maxFileBytes,
            var text = String(data: data, encoding: .utf8)
        else {
            invalid.append("\(key)_FILE must name a readable UTF-8 file of at most 1 MiB (\(path))")
            return nil
        }
        if text.hasSuffix("\n") || text.hasSuffix("\r\n") { text.removeLast() }
        if text.isEmpty { invalid.append("\(key)_FILE names an empty file (\(path))") }
        return text.isEmpty ? nil : text
    }

    /// A variable that must be set to a non-empty value.
    public func required(_ key: String) -> String {
        guard let value = given(key) else {
            // A NAME_FILE that cannot be read is reported as such, not as a missing NAME.
            if values[key + "_FILE"]?.isEmpty ?? true { missing.append(key) }
            return ""
        }
        return value
    }

    /// The value of `key`, nil when unset or empty.
    public func optional(_ key: String) -> String? {
        given(key)
    }

    /// The URL in `key` (or `fallback`).
    public func url(_ key: String, default fallback: String? = nil) -> URL {
        let text = fallback.map { optional(key) ?? $0 } ?? required(key)
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            if !text.isEmpty { invalid.append("\(key) must be an http(s) URL") }
            return URL(string: "http://invalid.invalid")!
        }
        return url
    }

    /// The integer in `key` within `range`, `fallback` when unset.
    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int> = 0...Int.max) -> Int {
        guard let text = optional(key) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            invalid.append("\(key) must be an integer in \(range.lowerBound)...\(range.upperBound)")
            return fallback
        }
        return value
    }

    /// A duration in seconds from `key`, `fallback` when unset.
    public func seconds(_ key: String, default fallback: TimeInterval) -> TimeInterval {
        guard let text = optional(key) else { return fallback }
        guard let value = Double(text), value >= 0, value.isFinite else {
            invalid.append("\(key) must be a number of seconds ≥ 0")
            return fallback
        }
        return value
    }

    /// A flag from `key` (true/false, 1/0, yes/no, on/off), `fallback` when unset; anything else is reported.
    public func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let text = optional(key)?.lowercased() else { return fallback }
        switch text {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            invalid.append("\(key) must be true or false")
            return fallback
        }
    }

    /// One of `choices` (compared in lower case), `fallback` when unset; anything else is reported.
    public func choice(_ key: String, of choices: [String], default fallback: String) -> String {
        guard let text = optional(key)?.lowercased() else { return fallback }
        guard choices.contains(text) else {
            invalid.append("\(key) must be one of \(choices.joined(separator: ", "))")
            return fallback
        }
        return text
    }

    /// A comma-separated list from `key`, upper-cased and trimmed; `fallback` when unset.
    public func list(_ key: String, default fallback: Set<String>) -> Set<String> {
        guard let text = optional(key) else { return fallback }
        let items = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty })
        if items.isEmpty { invalid.append("\(key) must list at least one value") }
        return items.isEmpty ? fallback : items
    }

    /// Records a variable whose value cannot work.
    public func invalid(_ problem: String) {
        invalid.append(problem)
    }

    /// Throws one `bad_config` error naming every missing and invalid variable read so far.
    public func validate() throws(ReviewError) {
        var problems: [String] = []
        if !missing.isEmpty { problems.append("missing environment variables: " + missing.joined(separator: ", ")) }
        problems += invalid
        if !problems.isEmpty { throw .badConfig(problems.joined(separator: "; ")) }
    }
}

extension QueueSettings {
    /// `QUEUE_*` variables; every one has a default.
    public static func load(_ env: EnvironmentReader) -> QueueSettings {
        var settings = QueueSettings()
        settings.name = env.optional("QUEUE_NAME") ?? settings.name
        settings.lease = env.seconds("QUEUE_LEASE_SECONDS", default: settings.lease)
        settings.maxAttempts = env.int("QUEUE_MAX_ATTEMPTS", default: settings.maxAttempts, range: 1...100)
        settings.commentJobsPerAuthor = env.int("QUEUE_COMMENT_JOBS_PER_AUTHOR", default: settings.commentJobsPerAuthor, range: 1...10_000)
        settings.commentJobsPerPullRequest = env.int("QUEUE_COMMENT_JOBS_PER_PULL_REQUEST", default: settings.commentJobsPerPullRequest, range: 1...100_000)
        settings.installationConcurrency = env.int("QUEUE_INSTALLATION_CONCURRENCY", default: settings.installationConcurrency, range: 1...1000)
        settings.backoffBase = env.seconds("QUEUE_BACKOFF_BASE_SECONDS", default: settings.backoffBase)
        settings.backoffCap = env.seconds("QUEUE_BACKOFF_CAP_SECONDS", default: settings.backoffCap)
        settings.longestLimitWait = env.seconds("QUEUE_LIMIT_WAIT_SECONDS", default: settings.longestLimitWait)
        settings.limitSpread = env.seconds("QUEUE_LIMIT_SPREAD_SECONDS", default: settings.limitSpread)
        settings.failedRetention = env.seconds("QUEUE_FAILED_RETENTION_SECONDS", default: settings.failedRetention)
        settings.completedKeep = env.int("QUEUE_COMPLETED_KEEP", default: settings.completedKeep)
        settings.completedRetention = env.seconds("QUEUE_COMPLETED_RETENTION_SECONDS", default: settings.completedRetention)
        return settings
    }
}
