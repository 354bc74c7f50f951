import Foundation
import Logging
import ReviewCore

/// Runs a function executable in the way it was started:
/// - `AWS_LAMBDA_RUNTIME_API` set → the Lambda Runtime API loop;
/// - `serve` → HTTP on `$HOST:$PORT` (default 0.0.0.0:8080; `FUNCTIONS_CUSTOMHANDLER_PORT` for Azure), with `GET /healthz` and `/_/health`;
/// - otherwise `--event FILE` or an event on stdin → one JSON result on stdout.
///
/// Exit codes: 0 when the function produced a result, 1 when the handler failed, 2 when it could not
/// run (bad arguments, bad configuration, unreadable event).
public enum FunctionRunner {
    /// How the executable was asked to run: one event, serve over HTTP, or the Lambda runtime loop.
    public enum Mode: Equatable {
        case lambda(api: String)
        case serve(host: String, port: Int)
        case event(path: String?)
    }

    /// The parsed command line.
    public struct Arguments: Equatable {
        public var mode: Mode
        public var deadline: TimeInterval?
        public var flags: Set<String>
    }

    /// Parses `[serve] [--event FILE] [--deadline SECONDS] [function flags…]`.
    public static func parse(_ arguments: [String], environment: [String: String], knownFlags: Set<String>) throws(ReviewError) -> Arguments {
        var serve = false
        var path: String?
        var deadline: TimeInterval?
        var flags: Set<String> = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "serve": serve = true
            case "--event":
                guard let value = rest.popFirst() else { throw .badInput("--event needs a file path (or - for stdin)") }
                path = value == "-" ? nil : value
            case "--deadline":
                guard let value = rest.popFirst().flatMap(TimeInterval.init), value > 0 else {
                    throw .badInput("--deadline needs a number of seconds")
                }
                deadline = value
            case _ where knownFlags.contains(argument): flags.insert(argument)
            case "-h", "--help": throw .badInput(usage(knownFlags))
            default: throw .badInput("unknown argument '\(argument)'\n" + usage(knownFlags))
            }
        }
        let mode: Mode
        if let api = environment["AWS_LAMBDA_RUNTIME_API"], !api.isEmpty {
            mode = .lambda(api: api)
        } else if serve {
            let text = environment["PORT"] ?? environment["FUNCTIONS_CUSTOMHANDLER_PORT"] ?? "8080"
            guard let port = Int(text), (0...65535).contains(port) else { throw .badConfig("PORT must be a TCP port number") }
            mode = .serve(host: environment["HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0", port: port)
        } else {
            mode = .event(path: path)
        }
        return Arguments(mode: mode, deadline: deadline, flags: flags)
    }

    static func usage(_ flags: Set<String>) -> String {
        "usage: [serve] [--event FILE|-] [--deadline SECONDS]" + flags.sorted().map { " [\($0)]" }.joined()
    }

    /// The entry point of every function executable; never returns.
    public static func main<Handler: FunctionHandler>(
        name: String,
        knownFlags: Set<String> = [],
        arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        makeHandler: (ConfigReader) throws -> Handler
    ) async -> Never {
        let parsed: Arguments
        let handler: Handler
        do {
            parsed = try parse(arguments, environment: environment, knownFlags: knownFlags)
            handler = try makeHandler(ConfigReader(environment))
            if case .serve(let host, _) = parsed.mode { try handler.checkServe(host: host) }
        } catch {
            let failure = ReviewError.from(error, otherwise: .badConfig)
            JSONLogHandler.bootstrap(label: name, environment: environment, secrets: [])
            Logger(label: name).critical("cannot start: \(failure.message)", metadata: ["errorCode": "\(failure.code.rawValue)"])
            if case .lambda(let api)? = try? parse(arguments, environment: environment, knownFlags: knownFlags).mode {
                await LambdaRuntimeLoop(api: api, name: name).reportInitError(failure)
            }
            FileHandle.standardError.write(Data("\(name): \(failure.message)\n".utf8))
            exit(2)
        }
        JSONLogHandler.bootstrap(label: name, environment: environment, secrets: handler.secretValues)
        let logger = Logger(label: name)

        switch parsed.mode {
        case .lambda(let api):
            await LambdaRuntimeLoop(api: api, name: name).run(handler: handler, logger: logger)
            exit(0)
        case .serve(let host, let port):
            await serve(handler: handler, host: host, port: port, name: name, logger: logger)
            exit(0)
        case .event(let path):
            exit(await runOnce(handler: handler, path: path, arguments: parsed, logger: logger))
        }
    }

    private static func runOnce<Handler: FunctionHandler>(handler: Handler, path: String?, arguments: Arguments, logger: Logger) async -> Int32 {
        let event: Data
        do {
            // A function word like `review-job drain` is the whole request: no event to read.
            event =
                path == nil && !arguments.flags.isEmpty && arguments.flags.allSatisfy({ !$0.hasPrefix("-") })
                ? Data()
                : try path.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readDataToEndOfFile()
        } catch {
            let failure = ReviewError.badInput("cannot read event file \(path ?? "-"): \((error as NSError).localizedDescription)")
            FileHandle.standardOutput.write(ErrorAnswer(failure).json + Data("\n".utf8))
            return ErrorAnswer(failure).exitCode
        }
        let context = InvocationContext(
            deadline: arguments.deadline.map { Date().addingTimeInterval($0) }, flags: arguments.flags, logger: logger
        )
        do {
            let output = try await handler.handle(event: event, context: context)
            FileHandle.standardOutput.write(output + Data("\n".utf8))
            return 0
        } catch {
            let answer = ErrorAnswer(error)
            logger.error("invocation failed: \(answer.error.message)", metadata: ["errorCode": "\(answer.error.code.rawValue)"])
            FileHandle.standardOutput.write(answer.json + Data("\n".utf8))
            return answer.exitCode
        }
    }

    private static func serve<Handler: FunctionHandler>(handler: Handler, host: String, port: Int, name: String, logger: Logger) async {
        do {
            let server = try await HTTPServer.start(host: host, port: port, limits: handler.serveLimits) { request in
                await route(request, handler: handler, logger: logger)
            }
            logger.info("\(name) serving on \(host):\(server.port)")
            await server.waitUntilClosed()
        } catch {
            logger.critical("cannot listen on port \(port): \(error)")
            exit(2)
        }
    }

    /// Health checks answer without touching the handler; everything else is an invocation.
    public static func route<Handler: FunctionHandler>(_ request: HTTPRequest, handler: Handler, logger: Logger) async -> HTTPResponse {
        if request.method == "GET", ["/healthz", "/_/health"].contains(request.url.path) {
            return .json(200, Data(#"{"status":"ok"}"#.utf8))
        }
        var context = InvocationContext(requestId: request.header("x-request-id") ?? UUID().uuidString, logger: logger)
        if let seconds = request.header("x-invocation-timeout").flatMap(TimeInterval.init) {
            context.deadline = Date().addingTimeInterval(seconds)
        }
        context.logger[metadataKey: "requestId"] = "\(context.requestId)"
        return await handler.handle(http: request, context: context)
    }
}
