import Foundation
import Logging
import Metrics
import Prometheus
import ReviewCore
import ServiceLifecycle
import UnixSignals

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
    public struct Arguments: Equatable, Sendable {
        /// `serve` was given.
        public var serve: Bool
        /// `--event FILE` (nil: stdin).
        public var eventPath: String?
        public var deadline: TimeInterval?
        /// Function words and flags (`drain`, `--skip-signature-check`).
        public var flags: Set<String>

        public init(serve: Bool = false, eventPath: String? = nil, deadline: TimeInterval? = nil, flags: Set<String> = []) {
            self.serve = serve
            self.eventPath = eventPath
            self.deadline = deadline
            self.flags = flags
        }
    }

    /// How to run: the Runtime API loop when Lambda set `AWS_LAMBDA_RUNTIME_API`, else serve or one
    /// event. Read through `env`, so a bad `PORT` is named with every other bad variable.
    public static func mode(_ arguments: Arguments, env: EnvironmentReader) -> Mode {
        if let api = env.optional("AWS_LAMBDA_RUNTIME_API") { return .lambda(api: api) }
        guard arguments.serve else { return .event(path: arguments.eventPath) }
        // Azure Functions' custom handlers are told their port in FUNCTIONS_CUSTOMHANDLER_PORT.
        let port =
            env.optional("FUNCTIONS_CUSTOMHANDLER_PORT") != nil
            ? env.int("FUNCTIONS_CUSTOMHANDLER_PORT", default: 8080, range: 0...65535) : env.int("PORT", default: 8080, range: 0...65535)
        return .serve(host: env.optional("HOST") ?? "0.0.0.0", port: port)
    }

    /// What serve mode reads beyond its address.
    struct ServeSettings {
        /// `SHUTDOWN_GRACE_SECONDS`: how long requests under way get after SIGTERM (default 10, what Cloud Run gives).
        var grace: TimeInterval
        /// `METRICS_TOKEN`: the bearer token of `/metrics` and `/queue/depth` off loopback.
        var metricsToken: String?

        static func load(_ env: EnvironmentReader) -> ServeSettings {
            ServeSettings(grace: env.seconds("SHUTDOWN_GRACE_SECONDS", default: 10), metricsToken: env.optional("METRICS_TOKEN"))
        }
    }

    /// The modes, for `--help`.
    public static let modesHelp = """
        Modes:
          AWS Lambda (AWS_LAMBDA_RUNTIME_API set): the Runtime API loop.
          serve: HTTP on $HOST:$PORT (Cloud Run, Knative, OpenFaaS, Azure).
              GET /healthz answers while the process runs, GET /readyz
              once its queue answers; SIGTERM lets requests under way
              finish (SHUTDOWN_GRACE_SECONDS), then exits.
          otherwise: one event from --event FILE or stdin, one JSON result
              on stdout; exit 0 with a result, 1 when the function failed,
              2 when it could not run.
        """

    /// The entry point of every function executable; never returns.
    public static func main<Handler: FunctionHandler>(
        name: String,
        arguments: Arguments,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        makeHandler: (EnvironmentReader) throws -> Handler
    ) async -> Never {
        let env = EnvironmentReader(environment)
        let mode = Self.mode(arguments, env: env)
        let level = JSONLogHandler.level(env)
        let serving = ServeSettings.load(env)
        let handler: Handler
        do {
            // The handler's configuration validates every variable read so far, these included.
            handler = try makeHandler(env)
            try env.validate()
            if case .serve(let host, _) = mode { try handler.checkServe(host: host) }
        } catch {
            let failure = ReviewError.from(error, otherwise: .badConfig)
            JSONLogHandler.bootstrap(label: name, level: level, secrets: [])
            Logger(label: name).critical("cannot start: \(failure.message)", metadata: ["errorCode": "\(failure.code.rawValue)"])
            if case .lambda(let api) = mode {
                await LambdaRuntimeLoop(api: api, name: name).reportInitError(failure)
            }
            FileHandle.standardError.write(Data("\(name): \(failure.message)\n".utf8))
            exit(2)
        }
        JSONLogHandler.bootstrap(label: name, level: level, secrets: handler.secretValues + [serving.metricsToken].compactMap(\.self))
        let logger = Logger(label: name)

        switch mode {
        case .lambda(let api):
            let metrics = EMFMetricsFactory(function: name)
            MetricsSystem.bootstrap(metrics)
            await LambdaRuntimeLoop(api: api, name: name, metrics: metrics).run(handler: handler, logger: logger)
            exit(0)
        case .serve(let host, let port):
            await serve(handler: handler, host: host, port: port, name: name, settings: serving, logger: logger)
            exit(0)
        case .event(let path):
            exit(await runOnce(handler: handler, path: path, arguments: arguments, logger: logger))
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

    /// Serve mode, until SIGTERM or SIGINT: then stop accepting, let requests under way finish
    /// within `SHUTDOWN_GRACE_SECONDS` (default 10, what Cloud Run gives), cancel what is left —
    /// review-job gives the lease of an interrupted job back — and exit.
    private static func serve<Handler: FunctionHandler>(
        handler: Handler, host: String, port: Int, name: String, settings: ServeSettings, logger: Logger
    ) async {
        let readiness = ReadinessCache(handler: handler)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let metrics = MetricsEndpoint(registry: registry, token: settings.metricsToken, host: host)
        let depth = QueueDepthEndpoint(token: settings.metricsToken, host: host)
        let server: HTTPServer
        do {
            server = try await HTTPServer.start(host: host, port: port, limits: handler.serveLimits, screen: { handler.screen(head: $0) }) { request in
                await route(request, handler: handler, readiness: readiness, metrics: metrics, depth: depth, logger: logger)
            }
        } catch {
            logger.critical("cannot listen on port \(port): \(error)")
            exit(2)
        }
        // The service says where it serves once the group runs, so SIGTERM is handled from the first request on.
        let service = GracefulHTTPService(
            server: server, grace: settings.grace, logger: logger, listening: "\(name) serving on \(host):\(server.port)",
            beginShutdown: {
                readiness.shuttingDown.set()
                handler.beginShutdown()
            },
            finishBackground: { await handler.finishBackground(grace: $0) })
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("serve stopped: \(error)")
        }
        logger.info("\(name) stopped")
    }

    /// Health checks answer without invoking the handler — `/healthz` (liveness) always, `/readyz`
    /// once the handler's queue answers (checked at most once a second); everything else is an invocation.
    public static func route<Handler: FunctionHandler>(
        _ request: HTTPRequest, handler: Handler, readiness: ReadinessCache? = nil, metrics: MetricsEndpoint? = nil,
        depth: QueueDepthEndpoint? = nil, logger: Logger
    ) async -> HTTPResponse {
        if request.method == "GET", request.url.path == "/metrics", let metrics {
            return await metrics.answer(request, handler: handler)
        }
        if request.method == "GET", request.url.path == "/queue/depth", let depth {
            return await depth.answer(request, handler: handler)
        }
        if request.method == "GET", ["/healthz", "/_/health"].contains(request.url.path) {
            return .json(200, Data(#"{"status":"ok"}"#.utf8))
        }
        if request.method == "GET", request.url.path == "/readyz" {
            return await (readiness ?? ReadinessCache(handler: handler)).answer()
        }
        await depth?.invoked()
        var context = InvocationContext(requestId: request.header("x-request-id") ?? UUID().uuidString, logger: logger)
        if let seconds = request.header("x-invocation-timeout").flatMap(TimeInterval.init) {
            context.deadline = Date().addingTimeInterval(seconds)
        }
        context.logger[metadataKey: "requestId"] = "\(context.requestId)"
        return await handler.handle(http: request, context: context)
    }
}
