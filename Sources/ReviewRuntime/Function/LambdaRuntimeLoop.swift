import Foundation
import Logging
import ReviewCore

/// The AWS Lambda Runtime API client: fetch the next invocation, run it, post its response or error.
/// Each invocation runs with its request id in every log line and its X-Ray trace id in
/// `_X_AMZN_TRACE_ID` (as AWS's own runtimes do); posts carry `Content-Type: application/json`;
/// a response post that fails is logged and tried once more.
struct LambdaRuntimeLoop {
    let api: String
    let name: String
    /// Where the invocation's metrics went; written out as EMF lines once it is answered.
    var metrics: EMFMetricsFactory?
    /// Fails at once if the Runtime API stops answering (the process then ends, as Lambda expects),
    /// rather than retrying the connection until the call's deadline.
    let transport: any HTTPTransport = AsyncHTTPClientTransport.failingFast

    private func url(_ path: String) -> URL { URL(string: "http://\(api)/2018-06-01/runtime/\(path)")! }

    func run<Handler: FunctionHandler>(handler: Handler, logger: Logger) async {
        while true {
            let next: HTTPResponse
            do {
                next = try await transport.send(HTTPRequest(url: url("invocation/next"), timeout: 86400))
            } catch {
                logger.critical("Lambda Runtime API unreachable: \(error)")
                return
            }
            guard next.status == 200, let requestId = next.header("lambda-runtime-aws-request-id") else {
                logger.critical("Lambda Runtime API answered \(next.status) to next invocation")
                return
            }
            let deadline = next.header("lambda-runtime-deadline-ms").flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
            var context = InvocationContext(requestId: requestId, deadline: deadline, logger: logger)
            context.invokedFunctionArn = next.header("lambda-runtime-invoked-function-arn")
            context.logger[metadataKey: "requestId"] = "\(requestId)"
            if let trace = next.header("lambda-runtime-trace-id") {
                setenv("_X_AMZN_TRACE_ID", trace, 1)
                context.logger[metadataKey: "traceId"] = "\(trace)"
            } else {
                unsetenv("_X_AMZN_TRACE_ID")
            }
            do {
                let output = try await handler.handle(event: next.body, context: context)
                await postResponse(output, requestId: requestId, logger: context.logger)
            } catch {
                let answer = ErrorAnswer(error)
                context.logger.error("invocation failed: \(answer.error.message)", metadata: ["errorType": "\(answer.lambdaErrorType(phase: .invocation))"])
                await post(answer, phase: .invocation, to: "invocation/\(requestId)/error", logger: context.logger)
            }
            // CloudWatch Logs turns these lines into metrics: no agent, no extra call.
            for line in metrics?.flush() ?? [] { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        }
    }

    /// Posts the result; a transport failure or a 5xx is tried once more, a refusal (400: the id is
    /// not outstanding; 413: over the payload limit) is logged, since Lambda then fails the invocation itself.
    private func postResponse(_ output: Data, requestId: String, logger: Logger) async {
        let request = HTTPRequest(method: "POST", url: url("invocation/\(requestId)/response"), headers: ["content-type": "application/json"], body: output)
        for attempt in 1...2 {
            do {
                let answer = try await transport.send(request)
                if (200..<300).contains(answer.status) { return }
                let detail = String(decoding: answer.body.prefix(300), as: UTF8.self)
                logger.error("the Runtime API refused the response (\(answer.status)): \(detail)", metadata: ["attempt": "\(attempt)"])
                if answer.status < 500 { return }
            } catch {
                logger.error("posting the response failed: \(error)", metadata: ["attempt": "\(attempt)"])
            }
        }
    }

    func reportInitError(_ error: ReviewError) async {
        await post(ErrorAnswer(error), phase: .initialisation, to: "init/error", logger: Logger(label: name))
    }

    private func post(_ answer: ErrorAnswer, phase: ErrorAnswer.LambdaPhase, to path: String, logger: Logger) async {
        let request = HTTPRequest(
            method: "POST", url: url(path),
            headers: ["lambda-runtime-function-error-type": answer.lambdaErrorType(phase: phase), "content-type": "application/json"],
            body: answer.lambdaJSON(phase: phase))
        do {
            let reply = try await transport.send(request)
            if !(200..<300).contains(reply.status) { logger.error("the Runtime API refused the error report (\(reply.status))") }
        } catch {
            logger.error("reporting the error to the Runtime API failed: \(error)")
        }
    }
}
