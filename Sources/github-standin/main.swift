import Foundation
import ReviewRuntime
import ReviewTesting
import _CryptoExtras

// github-standin: serves one fixture pull request the way GitHub's REST API would, for the demo.
// Usage: github-standin FIXTURE_FOLDER KEY_OUT [ISSUER]
// Writes a fresh App private key (PKCS#8 PEM) to KEY_OUT, prints "github-standin listening on URL".
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: github-standin FIXTURE_FOLDER KEY_OUT [ISSUER]\n".utf8))
    exit(2)
}
let folder = URL(fileURLWithPath: arguments[arguments.startIndex])
let keyPath = arguments[arguments.startIndex + 1]
let issuer = arguments.count > 2 ? arguments[arguments.startIndex + 2] : "Iv1.demo"
do {
    let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    try key.pkcs8PEMRepresentation.write(toFile: keyPath, atomically: true, encoding: .utf8)
    let standIn = try await GitHubStandIn.start(publicKey: key.publicKey, issuer: issuer)
    let served = standIn.serve(PullRequestFixture(name: folder.lastPathComponent, folder: folder))
    FileHandle.standardOutput.write(
        Data("github-standin listening on \(standIn.url.absoluteString) serving \(served.owner)/\(served.repo)#\(served.number)\n".utf8))
    await standIn.server.waitUntilClosed()
} catch {
    FileHandle.standardError.write(Data("github-standin: \(error)\n".utf8))
    exit(1)
}
