import Foundation
import ReviewCore
import Testing

@Suite struct WebhookSignatureTests {
    @Test func githubDocumentedVector() {
        let body = Data("Hello, World!".utf8)
        let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        #expect(WebhookSignature.sign(body, secret: "It's a Secret to Everybody") == expected)
        #expect(WebhookSignature.isValid(expected, body: body, secrets: ["It's a Secret to Everybody"]))
    }

    @Test func rotationAcceptsEitherSecret() {
        let body = Data("{}".utf8)
        let signedWithOld = WebhookSignature.sign(body, secret: "old")
        #expect(WebhookSignature.isValid(signedWithOld, body: body, secrets: ["new", "old"]))
        #expect(!WebhookSignature.isValid(signedWithOld, body: body, secrets: ["new"]))
    }

    @Test(arguments: [nil, "", "sha256=", "sha1=abc", "sha256=zz", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1"])
    func malformedHeadersAreInvalid(_ header: String?) {
        #expect(!WebhookSignature.isValid(header, body: Data("Hello, World!".utf8), secrets: ["It's a Secret to Everybody"]))
    }

    /// `UInt8("+7", radix: 16)` is 7: a sign in place of a leading zero digit must not pass.
    @Test(arguments: [
        "sha256=7571+7ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        "sha256= 757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17 ",
    ])
    func signsAndSpacesAreNotHexDigits(_ header: String) {
        #expect(!WebhookSignature.isValid(header, body: Data("Hello, World!".utf8), secrets: ["It's a Secret to Everybody"]))
    }

    @Test func uppercaseHexIsTheSameSignature() {
        let header = "sha256=" + "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17".uppercased()
        #expect(WebhookSignature.isValid(header, body: Data("Hello, World!".utf8), secrets: ["It's a Secret to Everybody"]))
    }
}
