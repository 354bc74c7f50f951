import Crypto
import Foundation

/// One problem a reviewer (a model or the built-in rules) reports, in the findings schema.
public struct Finding: Codable, Sendable, Equatable {
    /// How much a finding matters, most severe first (the order reviews list them in).
    public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
        /// What a fingerprint keeps of the severity: a model calls the same problem a bug once and a
        /// security issue the next time, or performance then maintainability.
        public var fingerprintClass: String {
            switch self {
            case .bug, .security: "defect"
            case .performance, .maintainability: "quality"
            case .nit: "nit"
            }
        }

        case bug, security, performance, maintainability, nit

        /// Most severe first.
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    }

    public var path: String
    public var side: DiffSide?
    /// The reviewer's idea of the line (new-side number for RIGHT); may be wrong — the quote decides.
    public var line: Int?
    /// The exact code line(s) the finding is about.
    public var quote: String
    public var severity: Severity
    public var title: String
    public var body: String
    public var suggestion: String?
    /// A stable rule id from the rules reviewer (e.g. `debug-print`); nil for model findings.
    public var rule: String?

    public init(
        path: String, side: DiffSide? = .right, line: Int?, quote: String, severity: Severity, title: String, body: String,
        suggestion: String? = nil, rule: String? = nil
    ) {
        self.path = path
        self.side = side
        self.line = line
        self.quote = quote
        self.severity = severity
        self.title = title
        self.body = body
        self.suggestion = suggestion
        self.rule = rule
    }

    /// Identifies the finding across runs and pushes: path, the quoted code with whitespace
    /// normalised (and without the `+N | ` prefixes a model may copy from the prompt), and its class
    /// (the rule, or the severity's class). Line numbers are left out, so a finding that moved is the
    /// same finding; so is the title, which a model rewords from run to run.
    public var fingerprint: String {
        let kind = rule ?? severity.fingerprintClass
        let material = [path, Self.normalise(ShownQuote.withoutNumberedPrefixes(quote)), kind].joined(separator: "\n")
        return SHA256.hash(data: Data(material.utf8)).prefix(8).hexString
    }

    /// Lines joined by single spaces with every run of whitespace collapsed.
    public static func normalise(_ text: some StringProtocol) -> String {
        var text = String(text)
        return text.withUTF8 { normalise(bytes: $0[...]) }
    }

    /// `normalise` on UTF-8 bytes (the diff's own buffer: no string is made per line to read it).
    static func normalise(bytes: Slice<UnsafeBufferPointer<UInt8>>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { out in
            var written = 0
            _ = normalise(bytes: bytes, into: out, at: &written)
            return written
        }
    }

    /// `normalise` writing into `out` from `written` on (it has room for every byte of `bytes`);
    /// returns the normalised text's `textHash`.
    static func normalise(bytes: Slice<UnsafeBufferPointer<UInt8>>, into out: UnsafeMutableBufferPointer<UInt8>, at written: inout Int) -> UInt64 {
        var pendingSpace = false
        let first = written
        var length = written
        var hash = textHashSeed
        for byte in bytes {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
                pendingSpace = length > first
            default:
                if pendingSpace {
                    out[length] = 0x20
                    length += 1
                    hash = (hash ^ 0x20) &* textHashPrime
                    pendingSpace = false
                }
                out[length] = byte
                length += 1
                hash = (hash ^ UInt64(byte)) &* textHashPrime
            }
        }
        written = length
        return hash
    }

    /// FNV-1a over a normalised text's bytes: the key of the anchorer's line index (equal texts,
    /// equal hashes; a match is always confirmed byte for byte).
    static func textHash(_ normalised: String) -> UInt64 {
        normalised.utf8.reduce(textHashSeed) { ($0 ^ UInt64($1)) &* textHashPrime }
    }

    private static let textHashSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let textHashPrime: UInt64 = 0x0000_0100_0000_01b3
}
