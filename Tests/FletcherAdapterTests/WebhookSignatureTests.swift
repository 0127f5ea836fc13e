import FletcherPlatform
import Foundation
import Testing

@Suite("Standard Webhooks signatures and Basic credentials")
struct WebhookSignatureTests {
    // The example of the Standard Webhooks specification (github.com/standard-webhooks).
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    let timestamp: Int64 = 1_614_265_330
    let body = Array(#"{"test": 2432232314}"#.utf8)

    @Test func matchesTheSpecificationsExample() throws {
        let signature = try #require(WebhookSignature(secret: secret))
        #expect(
            signature.sign(id: id, timestamp: timestamp, body: body)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        try signature.verify(
            id: id, timestamp: String(timestamp), signatures: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            body: body, now: timestamp + 299)
    }

    @Test func refusesWhatDoesNotMatch() throws {
        let signature = try #require(WebhookSignature(secret: secret))
        let good = signature.sign(id: id, timestamp: timestamp, body: body)
        let cases: [(String?, String?, String?, [UInt8], Int64, WebhookSignatureError)] = [
            (nil, String(timestamp), good, body, timestamp, .missingHeaders),
            (id, "yesterday", good, body, timestamp, .badTimestamp),
            (id, String(timestamp), good, body, timestamp + 301, .outsideWindow),
            (id, String(timestamp), good, body, timestamp - 301, .outsideWindow),
            (id, String(timestamp), good, Array("{}".utf8), timestamp, .mismatch),
            ("msg_other", String(timestamp), good, body, timestamp, .mismatch),
            (id, String(timestamp), "v2," + good.dropFirst(3), body, timestamp, .mismatch),
        ]
        for (id, time, signatures, body, now, expected) in cases {
            #expect(throws: expected) {
                try signature.verify(id: id, timestamp: time, signatures: signatures, body: body, now: now)
            }
        }
    }

    @Test func refusesSecretsThatAreNotBase64() {
        #expect(WebhookSignature(secret: "whsec_%%%") == nil)
        #expect(WebhookSignature(secret: "whsec_") == nil)
    }

    @Test func basicCredentialsAcceptOnlyThemselves() {
        let credentials = BasicCredentials(user: "u", password: "p:w")
        #expect(credentials.accepts("Basic dTpwOnc="))
        #expect(credentials.accepts("basic dTpwOnc="))
        #expect(!credentials.accepts("Basic dTpwOnd="))
        #expect(!credentials.accepts("Bearer dTpwOnc="))
        #expect(!credentials.accepts(nil))
    }
}
