import Foundation

/// Measures how deeply a raw JSON document nests, without parsing it.
///
/// Run before decoding so a hostile body (`[[[[…` a million deep) is refused with a clear 400
/// instead of exhausting the decoder's stack.
public enum JSONNesting {
    public static let limit = 64

    /// The answer to a body nested deeper than `limit`, whichever check finds it.
    public static let tooDeep = "JSON is nested deeper than \(limit) levels"

    /// True when some array or object in `bytes` is nested deeper than `limit`.
    /// Brackets inside strings do not count; malformed input is left for the decoder to reject.
    /// Takes an array, not any sequence: a generic called from another module runs unspecialized,
    /// an order of magnitude slower on a request body of megabytes.
    public static func exceeds(_ limit: Int, in bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { exceeds(limit, in: $0) }
    }

    private static func exceeds(_ limit: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }
}
