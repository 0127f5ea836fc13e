import FletcherCore
import FletcherTestSupport
import Foundation

/// Random JSON values and strings that stress an encoder: control characters, quotes,
/// backslashes, slashes, non-ASCII text, keys that sort differently by case and digits, doubles
/// of every magnitude.
enum RandomJSON {
    static func value(_ random: inout SeededGenerator, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth < 3 ? 9 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &random))
        case 3: return .double(double(&random))
        case 4, 5: return .string(string(&random))
        case 6: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in value(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                members[string(&random)] = value(&random, depth: depth + 1)
            }
            return .object(members)
        }
    }

    static func string(_ random: inout SeededGenerator) -> String {
        let pieces = [
            "a", "B", "z", "10", "9", "_", "-", "/", "\\", "\"", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1f}",
            "\u{7f}", "é", "ß", "中", "😀", "\u{2028}", " ", "e\u{301}",
        ]
        return (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    static func double(_ random: inout SeededGenerator) -> Double {
        let magnitudes: [Double] = [1e-300, 1e-7, 0.001, 0.5, 1, 1e6, 1e15, 1e16, 1e20, 1e300]
        let value = Double.random(in: -1...1, using: &random) * magnitudes.randomElement(using: &random)!
        // Integral doubles within 64 bits decode as integers (`JSONValue`): the API never holds one.
        return value == value.rounded() && abs(value) < 9e18 ? 0.25 : value
    }
}
