import Foundation

/// What this binary is: the version and commit stamped at build time (`--version`), and the
/// User-Agent every outbound request carries (GitHub requires one; operators can tell versions apart).
public enum Build {
    /// e.g. `v1.2.0 (3f2a9c1d0b7e)` or `dev (3f2a9c1d0b7e)`.
    public static var version: String { BuildVersion.text }

    /// e.g. `pr-review/v1.2.0+3f2a9c1d0b7e`.
    public static var userAgent: String {
        let token = version.replacingOccurrences(of: " (", with: "+").replacingOccurrences(of: ")", with: "").replacingOccurrences(of: " ", with: "_")
        return "pr-review/" + token
    }
}
