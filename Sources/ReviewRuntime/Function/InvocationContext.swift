import Foundation
import Logging
import ReviewCore

/// What one invocation knows about itself.
public struct InvocationContext: Sendable {
    public var requestId: String
    /// When the platform stops the invocation (Lambda's deadline, `--deadline`), if it says.
    public var deadline: Date?
    /// Function-specific command-line flags that were given (file/stdin mode only).
    public var flags: Set<String>
    public var logger: Logger
    /// The function's ARN as Lambda invoked it (`Lambda-Runtime-Invoked-Function-Arn`), on Lambda.
    public var invokedFunctionArn: String?

    public init(requestId: String = UUID().uuidString, deadline: Date? = nil, flags: Set<String> = [], logger: Logger) {
        self.requestId = requestId
        self.deadline = deadline
        self.flags = flags
        self.logger = logger
    }
}
