import Foundation
import Logging
import ReviewCore

/// The AWS Lambda Runtime API client: fetch the next invocation, run it, post its response or error.
struct LambdaRuntimeLoop {
    let api: String
    let name: String
    let transport: any HTTPTransport = URLSessionTransport()

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
            context.logger[metadataKey: "requestId"] = "\(requestId)"
            do {
                let output = try await handler.handle(event: next.body, context: context)
                _ = try? await transport.send(HTTPRequest(method: "POST", url: url("invocation/\(requestId)/response"), body: output))
            } catch {
                let answer = ErrorAnswer(error)
                logger.error("invocation failed: \(answer.error.message)", metadata: ["errorCode": "\(answer.lambdaErrorType)"])
                await post(answer, to: "invocation/\(requestId)/error")
            }
        }
    }

    func reportInitError(_ error: ReviewError) async {
        await post(ErrorAnswer(error), to: "init/error")
    }

    private func post(_ answer: ErrorAnswer, to path: String) async {
        _ = try? await transport.send(
            HTTPRequest(
                method: "POST", url: url(path), headers: ["lambda-runtime-function-error-type": answer.lambdaErrorType], body: answer.lambdaJSON
            ))
    }
}
