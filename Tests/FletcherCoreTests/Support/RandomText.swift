import FletcherCore
import FletcherTestSupport

/// JSON text for a value, written the many ways a client may write it: blanks anywhere between
/// tokens, characters escaped or not (`\u` escapes, surrogate pairs, `\/`), integers with a zero
/// fraction or exponent.
enum RandomText {
    static func write(_ value: JSONValue, _ random: inout SeededGenerator) -> String {
        var text = ""
        write(value, to: &text, &random)
        return blanks(&random) + text + blanks(&random)
    }

    private static func write(_ value: JSONValue, to text: inout String, _ random: inout SeededGenerator) {
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let integer):
            text += String(integer)
            if integer.magnitude < 1 << 53 {
                text += ["", "", ".0", "e0", ".00E+0"].randomElement(using: &random)!
            }
        case .double(let double): text += double.description
        case .string(let string): write(string, to: &text, &random)
        case .array(let elements):
            text += "[" + blanks(&random)
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," + blanks(&random) }
                write(element, to: &text, &random)
                text += blanks(&random)
            }
            text += "]"
        case .object(let members):
            text += "{" + blanks(&random)
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { text += "," + blanks(&random) }
                write(key, to: &text, &random)
                text += blanks(&random) + ":" + blanks(&random)
                write(member, to: &text, &random)
                text += blanks(&random)
            }
            text += "}"
        }
    }

    private static func write(_ string: String, to text: inout String, _ random: inout SeededGenerator) {
        text += "\""
        for scalar in string.unicodeScalars {
            let escapeAnyway = Int.random(in: 0..<4, using: &random) == 0
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "/" where escapeAnyway: text += "\\/"
            case "\n": text += escapeAnyway ? "\\u000A" : "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            case "\u{8}": text += "\\b"
            case "\u{c}": text += "\\f"
            case _ where scalar.value < 0x20 || escapeAnyway:
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    let digits = String(repeating: "0", count: 4 - hex.count) + hex
                    text += "\\u" + (Bool.random(using: &random) ? digits : digits.uppercased())
                }
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    private static func blanks(_ random: inout SeededGenerator) -> String {
        (0..<Int.random(in: 0...2, using: &random)).map { _ in [" ", "\n", "\t", "\r"].randomElement(using: &random)! }
            .joined()
    }
}
