import ArgumentParser
import Foundation
import ReviewRuntime

/// The options every function executable takes, whatever platform runs it.
package struct FunctionOptions: ParsableArguments {
    @Option(name: .customLong("event"), help: ArgumentHelp("Read the event from this file (- for stdin, the default).", valueName: "file"))
    package var event: String?

    @Option(help: ArgumentHelp("Seconds this invocation may run (one-event mode; serve takes X-Invocation-Timeout).", valueName: "seconds"))
    package var deadline: Double?

    package init() {}

    package func validate() throws {
        if let deadline, !(deadline > 0) { throw ValidationError("--deadline needs a number of seconds above 0") }
    }

    /// The runner's arguments, with the function's own words and flags.
    package func arguments(serve: Bool, flags: Set<String>) -> FunctionRunner.Arguments {
        FunctionRunner.Arguments(serve: serve, eventPath: event == "-" ? nil : event, deadline: deadline, flags: flags)
    }
}

extension FunctionRunner {
    /// The `--help` text after the usage line: what the function does, its modes, its environment.
    package static func discussion(_ about: String, reader: EnvironmentHelp.Reader) -> String {
        about + "\n\n" + modesHelp + "\n\n" + EnvironmentHelp.section(for: reader)
    }
}
