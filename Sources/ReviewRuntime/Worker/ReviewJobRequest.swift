import Crypto
import Foundation
import Logging
import ReviewCore

/// The two inputs of `review-job`.
public enum ReviewJobRequest: Equatable, Sendable {
    case drain
    case job(ReviewJob)

    /// Reads what review-job was invoked with (a drain request or a job).
    public static func decode(_ event: Data, drainFlag: Bool) throws(ReviewError) -> ReviewJobRequest {
        if drainFlag || event.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return .drain }
        let document = try JSONValue.parse(event, what: "event")
        if document["action"]?.stringValue == "drain" || document["detail-type"]?.stringValue == "Scheduled Event" { return .drain }
        if let job = document["job"] { return .job(try ReviewJob.decode((try? JSONEncoder.iso.encode(job)) ?? Data())) }
        return .job(try ReviewJob.decode(event))
    }
}
