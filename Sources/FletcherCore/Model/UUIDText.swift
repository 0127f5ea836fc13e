import Foundation

/// Ids as text, written and read by Fletcher itself.
extension UUID {
    /// The hyphenated lowercase form Fletcher emits everywhere (`docs/concepts.md` §5); Foundation's
    /// `uuidString` is uppercase. Written here rather than as `uuidString.lowercased()`: Foundation
    /// formats with `sprintf` and the lowercasing copies again, and ids are written many times per
    /// request.
    public var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            var count = 0
            forEachLowercasedByte { byte in
                buffer[count] = byte
                count += 1
            }
            return count
        }
    }

    /// `lowercasedString`'s bytes, written in place without its allocation.
    public func appendLowercased(to bytes: inout [UInt8]) {
        forEachLowercasedByte { bytes.append($0) }
    }

    /// Parses the 36-character form (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, either case) and
    /// nothing else; Foundation's `UUID(uuidString:)` reads it with `sscanf`, more than ten times slower,
    /// and also takes a last group one digit short.
    public init?(text: String) {
        var text = text
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = text.withUTF8 { utf8 in
            withUnsafeMutableBytes(of: &uuid) { bytes in
                guard utf8.count == 36 else { return false }
                var position = 0
                for index in 0..<16 {
                    if position == 8 || position == 13 || position == 18 || position == 23 {
                        guard utf8[position] == UInt8(ascii: "-") else { return false }
                        position += 1
                    }
                    guard let high = nibble(ofHexDigit: utf8[position]),
                        let low = nibble(ofHexDigit: utf8[position + 1])
                    else {
                        return false
                    }
                    bytes[index] = high << 4 | low
                    position += 2
                }
                return true
            }
        }
        guard parsed else { return nil }
        self.init(uuid: uuid)
    }

    private func forEachLowercasedByte(_ body: (UInt8) -> Void) {
        withUnsafeBytes(of: uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { body(UInt8(ascii: "-")) }
                body(hexDigit(byte >> 4))
                body(hexDigit(byte & 0x0F))
            }
        }
    }
}

/// The lowercase hex digit of a nibble.
func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}

/// The nibble a hex digit of either case stands for; nil for any other byte.
func nibble(ofHexDigit byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
