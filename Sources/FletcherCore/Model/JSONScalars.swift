import Foundation

/// Strings and numbers, the leaves of `JSONParser`.
extension JSONParser {
    /// A string at `index` (its opening quote). Text without escapes, the usual case, is made
    /// into a `String` straight from the input.
    mutating func string() throws(Failure) -> String {
        let open = index
        index += 1
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let text = try text(UnsafeRawBufferPointer(rebasing: bytes[(open + 1)..<index]), ascii: ascii, at: open)
                index += 1
                return text
            case UInt8(ascii: "\\"):
                return try escapedString(opening: open)
            case ..<0x20:
                throw failure("a control character in a string must be escaped")
            default:
                ascii = ascii && byte < 0x80
                index += 1
            }
        }
        throw failure("a string is not closed", at: open)
    }

    /// The rest of a string from its first backslash, collected into a buffer.
    private mutating func escapedString(opening open: Int) throws(Failure) -> String {
        var utf8 = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[(open + 1)..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    throw failure("a string is not valid UTF-8", at: open)
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8.append(contentsOf: try unicodeEscape().utf8)
                default: throw failure("'\\\(Character(Unicode.Scalar(escaped)))' is not an escape", at: index - 2)
                }
            case ..<0x20:
                throw failure("a control character in a string must be escaped")
            default:
                utf8.append(byte)
                index += 1
            }
        }
        throw failure("a string is not closed", at: open)
    }

    private func text(_ utf8: UnsafeRawBufferPointer, ascii: Bool, at open: Int) throws(Failure) -> String {
        if ascii { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw failure("a string is not valid UTF-8", at: open)
        }
        return text
    }

    /// `\uXXXX` after its `u`, with the low half that must follow a high surrogate.
    private mutating func unicodeEscape() throws(Failure) -> Character {
        let start = index - 2
        let unit = try hexUnit()
        var scalar = Unicode.Scalar(unit)
        if (0xD800..<0xDC00).contains(unit), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
            bytes[index + 1] == UInt8(ascii: "u")
        {
            index += 2
            let low = try hexUnit()
            if (0xDC00..<0xE000).contains(low) {
                scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
            }
        }
        guard let scalar else { throw failure("an escaped surrogate has no partner", at: start) }
        return Character(scalar)
    }

    private mutating func hexUnit() throws(Failure) -> UInt16 {
        guard index + 4 <= bytes.count else { throw failure("'\\u' needs four hex digits") }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            guard let digit = nibble(ofHexDigit: bytes[index]) else { throw failure("'\\u' needs four hex digits") }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }

    /// A number: an integer literal that fits is an `Int64`; anything else is read as a `Double`,
    /// and one written with a fraction or exponent is kept as an integer when it is one exactly.
    mutating func number() throws(Failure) -> JSONValue {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("expected a digit") }
        var integer: Int64 = 0
        var fits = true
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw failure("a number must not start with 0") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                // Accumulated negatively: Int64.min has no positive counterpart.
                let (shifted, overflow) = integer.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                fits = fits && !overflow && !overflow2
                integer = next
                index += 1
            }
        }
        var integral = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            try digits()
            integral = false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            try digits()
            integral = false
        }
        if integral, fits {
            if negative { return .int(integer) }
            if integer != .min { return .int(-integer) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw failure("the number \(text) is out of range", at: start)
        }
        // An integer literal too long for 64 bits stays a double even where its rounding is one.
        if !integral, let exact = Int64(exactly: value) { return .int(exact) }
        return .double(value)
    }

    private mutating func digits() throws(Failure) {
        guard index < bytes.count, isDigit(bytes[index]) else { throw failure("expected a digit") }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
