import ArgumentParser
import FunctionCLI
import ReviewRuntime

@main
struct WebhookIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-ingest",
        abstract: "Verify GitHub's webhook deliveries and queue the review jobs they ask for.",
        discussion: FunctionRunner.discussion(
            "Answers GitHub within its 10 seconds: checks the signature, turns the delivery into at most one job, enqueues it "
                + "idempotently (a redelivery is not a second job) and kicks review-job.", reader: .ingest),
        version: Build.version
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable { case serve }

    @Argument(help: "serve: answer HTTP (see Modes); without it, one event.")
    var mode: Mode?

    @OptionGroup var options: FunctionOptions

    @Flag(help: "Replay deliveries without their signature (never in production; one-event mode only).")
    var skipSignatureCheck = false

    func run() async throws {
        await FunctionRunner.main(
            name: "webhook-ingest",
            arguments: options.arguments(serve: mode == .serve, flags: skipSignatureCheck ? [WebhookIngestHandler.skipSignatureFlag] : [])
        ) { env in
            WebhookIngestHandler(config: try IngestConfig.load(env))
        }
    }
}
