import Crypto
import Foundation

/// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
/// `"{id}.{timestamp}.{body}"` with the secret `whsec_<base64 key>`, sent as `v1,<base64>`.
public struct WebhookSignature: Sendable {
    private let key: SymmetricKey
    /// How far a timestamp may be from now, either way.
    public static let tolerance: Int64 = 300

    /// Nil when `secret` is not `whsec_` followed by base64.
    public init?(secret: String) {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { return nil }
        key = SymmetricKey(data: bytes)
    }

    /// The `webhook-signature` value for one delivery.
    public func sign(id: String, timestamp: Int64, body: [UInt8]) -> String {
        "v1," + Data(mac(id: id, timestamp: timestamp, body: body)).base64EncodedString()
    }

    /// Checks the three Standard Webhooks headers against `body` at `now` (unix seconds).
    public func verify(id: String?, timestamp: String?, signatures: String?, body: [UInt8], now: Int64)
        throws(WebhookSignatureError)
    {
        guard let id, !id.isEmpty, let timestamp, let signatures else { throw .missingHeaders }
        guard let seconds = Int64(timestamp) else { throw .badTimestamp }
        guard abs(now - seconds) <= Self.tolerance else { throw .outsideWindow }
        let expected = mac(id: id, timestamp: seconds, body: body)
        for candidate in signatures.split(separator: " ") {
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let given = Data(base64Encoded: String(parts[1])) else {
                continue
            }
            if Self.constantTimeEqual(Array(given), expected) { return }
        }
        throw .mismatch
    }

    private func mac(id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }

    /// Compares without stopping at the first difference, so timing reveals nothing of the MAC.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

public enum WebhookSignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingHeaders, badTimestamp, outsideWindow, mismatch

    public var description: String {
        switch self {
        case .missingHeaders: "webhook-id, webhook-timestamp and webhook-signature are required"
        case .badTimestamp: "webhook-timestamp is not a unix time in seconds"
        case .outsideWindow: "webhook-timestamp is more than 5 minutes away from now"
        case .mismatch: "no webhook-signature matches"
        }
    }
}
