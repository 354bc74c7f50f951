import ArgumentParser
import Foundation
import Logging
import ReviewCore
import ReviewRuntime

/// `reviewctl replay PATH…`: sends delivery files (any shape webhook-ingest accepts) through ingest —
/// in process with this environment's configuration, or to a deployed function with `--url`.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send delivery files, or folders of them, through webhook-ingest and report each result."
    )

    @Argument(help: "Delivery files (Function URL events, {headers, body} envelopes, GitHub delivery exports) or folders of them.")
    var paths: [String]

    @Option(help: "A deployed webhook-ingest to POST to (default: run ingest here, configured from the environment).")
    var url: String?

    @Flag(help: "Accept delivery exports, whose re-serialised payload cannot carry the original signature (local replay only).")
    var skipSignatureCheck = false

    @Flag(help: "Print JSON lines instead of text.")
    var json = false

    struct Result: Encodable { let file: String; let statusCode: Int; let status: String; let jobId: String?; let reason: String? }

    func validate() throws {
        if url != nil && skipSignatureCheck {
            throw ValidationError("--skip-signature-check only applies to local replay; a deployed function always checks signatures")
        }
    }

    func run() async throws {
        let files = try Self.expand(paths)
        guard !files.isEmpty else { throw ValidationError("no .json delivery files under \(paths.joined(separator: ", "))") }
        let handler: WebhookIngestHandler? = url == nil ? try WebhookIngestHandler(config: IngestConfig.load(EnvironmentReader())) : nil
        let transport = AsyncHTTPClientTransport.failingFast  // a target that is down is reported at once, file by file
        for file in files {
            let result = await replay(file, handler: handler, transport: transport)
            if json {
                print(String(decoding: (try? JSONEncoder.iso.encode(result)) ?? Data(), as: UTF8.self))
            } else {
                print(
                    "\(result.statusCode) \(result.status.padding(toLength: 10, withPad: " ", startingAt: 0)) \(file)\(result.reason.map { "  — \($0)" } ?? "")"
                )
            }
        }
    }

    private func replay(_ file: String, handler: WebhookIngestHandler?, transport: any HTTPTransport) async -> Result {
        let request: WebhookRequest
        do {
            (_, request) = try WebhookEventShape.decode(try Data(contentsOf: URL(fileURLWithPath: file)))
        } catch let error as ReviewError {
            return Result(file: file, statusCode: 400, status: "rejected", jobId: nil, reason: error.message)
        } catch {
            return Result(file: file, statusCode: 400, status: "rejected", jobId: nil, reason: "cannot read the file")
        }
        if let handler {
            let response = await handler.ingest(
                request, skipSignatureCheck: skipSignatureCheck, logger: Logger(label: "reviewctl", factory: { _ in SwiftLogNoOpLogHandler() }))
            return Result(file: file, statusCode: response.statusCode, status: response.status.rawValue, jobId: response.jobId, reason: response.reason)
        }
        guard let target = url.flatMap(URL.init(string:)) else { return Result(file: file, statusCode: 0, status: "error", jobId: nil, reason: "bad --url") }
        do {
            let response = try await transport.send(HTTPRequest(method: "POST", url: target, headers: request.headers, body: request.body))
            let body = try? JSONValue.parse(response.body)
            return Result(
                file: file, statusCode: response.status, status: body?["status"]?.stringValue ?? "-", jobId: body?["jobId"]?.stringValue,
                reason: body?["reason"]?.stringValue)
        } catch {
            return Result(file: file, statusCode: 0, status: "unreachable", jobId: nil, reason: "\(error)")
        }
    }

    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("no such file or folder: \(path)") }
            if isDirectory.boolValue {
                let entries = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
                files += entries.filter { $0.hasSuffix(".json") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }
}
