import ArgumentParser
import FunctionCLI
import ReviewRuntime

@main
struct ReviewJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review-job",
        abstract: "Review the pull requests the queue holds: claim, review, post, complete.",
        discussion: FunctionRunner.discussion(
            "An event is a drain ({\"action\":\"drain\"}, an empty body, a scheduled event) or one job; `drain` drains without one.",
            reader: .reviewJob),
        version: Build.version
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable { case serve, drain }

    @Argument(help: "serve: answer HTTP (see Modes); drain: drain the queue once, no event read; neither: one event.")
    var mode: Mode?

    @OptionGroup var options: FunctionOptions

    func run() async throws {
        await FunctionRunner.main(
            name: "review-job", arguments: options.arguments(serve: mode == .serve, flags: mode == .drain ? [ReviewJobHandler.drainFlag] : [])
        ) { env in
            try ReviewJobHandler(config: try ReviewJobConfig.load(env))
        }
    }
}
