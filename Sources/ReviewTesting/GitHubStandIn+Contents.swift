import Foundation
import NIOConcurrencyHelpers
import ReviewCore
import ReviewRuntime
import _CryptoExtras

/// The contents API: a file at a ref.
extension GitHubStandIn.Router {
    /// Repository contents in the object form (docs.github.com, "Get repository content"): the
    /// size always; the content, base64 with a line break every 60 characters, only up to 1 MB;
    /// above it `encoding: none` and no content, up to 100 MB; larger is refused.
    func contents(_ request: HTTPRequest, repoKey: String, file: String) -> HTTPResponse {
        // The ref as GitHub reads it: the decoded value of the `ref` query parameter.
        let ref = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "ref" }?.value
        let text = state.withLockedValue { state in
            ref.flatMap { state.contents["\(repoKey) \(file)@\($0)"] } ?? state.contents["\(repoKey) \(file)"]
        }
        state.withLockedValue { $0.contentReads.append(file) }
        guard let text else { return json(404, ["message": "Not Found"]) }
        if request.header("accept")?.contains("raw") == true {
            return HTTPResponse(status: 200, headers: ["content-type": "application/vnd.github.raw"], body: Data(text.utf8))
        }
        // The object form (docs.github.com, "Get repository content"): the size always; the
        // content, base64 with a line break every 60 characters, only up to 1 MB; above it
        // `encoding: none` and no content, up to 100 MB; larger is refused.
        let size = text.utf8.count
        guard size <= 100_000_000 else {
            return json(
                403,
                [
                    "message": "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API",
                    "errors": [["code": "too_large"]],
                ])
        }
        let base64 = size <= 1_000_000 ? Data(text.utf8).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed]) : ""
        return json(
            200,
            [
                "type": "file", "name": String(file.split(separator: "/").last ?? ""), "path": file, "size": size,
                "encoding": size <= 1_000_000 ? "base64" : "none", "content": base64, "sha": String(repeating: "0", count: 40),
            ])
    }
}
