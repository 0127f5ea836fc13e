import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// Request bodies are parsed by `JSONParser` and decoded by `JSONValueDecoder`: what they read and
/// the 400 they answer must be what Foundation's `JSONDecoder` gave, for any body a client sends.
@Suite("JSON input")
struct JSONInputTests {
    @Test(arguments: 0..<60)
    func randomBodiesDecodeAsFoundationDoes(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed &* 7_919 &+ 11)
        let text = RandomText.write(Self.randomBody(&random), &random)
        let ours = try JSONInput.decode(PlanParam.self, from: Array(text.utf8))
        let foundation = try JSONDecoder().decode(PlanParam.self, from: Data(text.utf8))
        #expect(ours == foundation, "seed \(seed): \(text)")
        let states = try JSONInput.decode([StateParam].self, from: Array(Self.randomStates(&random).utf8))
        #expect(!states.isEmpty)
    }

    @Test(arguments: 0..<200)
    func brokenBodiesAreRefusedAsFoundationRefusesThem(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed &* 104_723 &+ 5)
        let body = Self.break(Self.randomBody(&random), &random)
        let text = RandomText.write(body, &random)
        let ours = Self.message { () throws(CommandError) in
            _ = try JSONInput.decode(PlanParam.self, from: Data(text.utf8))
        }
        let foundation: String?
        do {
            _ = try JSONDecoder().decode(PlanParam.self, from: Data(text.utf8))
            foundation = nil
        } catch let error as DecodingError {
            foundation = JSONInput.describe(error)
        }
        #expect(ours == foundation, "seed \(seed): \(text)")
    }

    @Test func numbersAndStringsReadAsFoundationReadsThem() throws {
        let texts = [
            "0", "-0", "-0.0", "12", "1.0", "1.5", "1E2", "1.5e3", "123.456e-2", "1e-400", "-1e-3",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
            "18446744073709551616", "9007199254740993", "0.1", "2.5e-308", "1.7976931348623157e308",
            #""\u00e9\u4e2d\ud83d\ude00\/\b\f\n\r\t\"\\""#, #""é中😀""#, #""\u0000""#, #""""#,
            #" {"b" : [ true , false , null ] , "a" : { } , "c" : [ ] } "#, #"{"a":1,"a":2}"#,
        ]
        for text in texts {
            let ours = try JSONValue(jsonText: text)
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(ours == foundation, "\(text): ours \(ours), Foundation's \(foundation)")
        }
    }

    /// Refused with where reading stopped; Foundation refuses all of them too but the trailing
    /// commas, which RFC 8259 and the earlier Rust service refuse.
    @Test func malformedTextIsRefusedWithWhereItStopped() {
        let cases: [(String, String)] = [
            ("", "unexpected end of the text at line 1, column 1"),
            ("{", "expected a key in quotes, found the end of the text at line 1, column 2"),
            ("{\n  \"a\": tru}", "unexpected 't' at line 2, column 8"),
            ("[1 2]", "expected ',' or ']', found '2' at line 1, column 4"),
            ("{\"a\" 1}", "expected ':', found '1' at line 1, column 6"),
            ("{1: 2}", "expected a key in quotes, found '1' at line 1, column 2"),
            ("[1,]", "unexpected ']' at line 1, column 4"),
            ("{\"a\": 1,}", "expected a key in quotes, found '}' at line 1, column 9"),
            ("1 2", "unexpected text after the value at line 1, column 3"),
            ("01", "a number must not start with 0 at line 1, column 2"),
            ("-", "expected a digit at line 1, column 2"),
            ("1.", "expected a digit at line 1, column 3"),
            (".5", "unexpected '.' at line 1, column 1"),
            ("1e", "expected a digit at line 1, column 3"),
            ("1E400", "the number 1E400 is out of range at line 1, column 1"),
            ("\"a\tb\"", "a control character in a string must be escaped at line 1, column 3"),
            ("\"\\x\"", "'\\x' is not an escape at line 1, column 2"),
            ("\"\\u12g4\"", "'\\u' needs four hex digits at line 1, column 6"),
            ("\"a\\ud800b\"", "an escaped surrogate has no partner at line 1, column 3"),
            ("\"\\udc00\"", "an escaped surrogate has no partner at line 1, column 2"),
            ("[\"abc", "a string is not closed at line 1, column 2"),
            ("\"\u{FF}\"", "a string is not valid UTF-8 at line 1, column 1"),
        ]
        for (text, reason) in cases {
            var bytes = Array(text.utf8)
            if text == "\"\u{FF}\"" { bytes = [0x22, 0xFF, 0x22] }
            let message = Self.message { () throws(CommandError) in
                _ = try JSONInput.decode(JSONValue.self, from: bytes)
            }
            #expect(message == "Malformed JSON: \(reason)", "\(text.debugDescription)")
            let foundation = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
            let trailingComma = text.contains(",]") || text.contains(",}")
            #expect((foundation == nil) != trailingComma, "\(text.debugDescription)")
        }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let tooDeep = Self.message { () throws(CommandError) in
            _ = try JSONInput.decode(JSONValue.self, from: Array(deep.utf8))
        }
        #expect(tooDeep == "JSON is nested deeper than 64 levels")
        let limit = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect((try? JSONValue(jsonText: limit)) != nil)
    }

    // MARK: Bodies

    static func message(_ body: () throws(CommandError) -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return error.message
        }
    }

    static func randomBody(_ random: inout SeededGenerator) -> JSONValue {
        func uuid(_ random: inout SeededGenerator) -> JSONValue {
            let text = UUID().uuidString
            return .string(Bool.random(using: &random) ? text : text.lowercased())
        }
        func extra(_ random: inout SeededGenerator) -> JSONValue? {
            switch Int.random(in: 0..<3, using: &random) {
            case 0: nil
            case 1: .null
            default: RandomJSON.value(&random)
            }
        }
        func object(_ members: [String: JSONValue?], _ random: inout SeededGenerator) -> JSONValue {
            var object = members.compactMapValues { $0 }
            if Int.random(in: 0..<4, using: &random) == 0 { object["unknown"] = RandomJSON.value(&random) }
            return .object(object)
        }
        let products: [JSONValue] = (0..<Int.random(in: 0...6, using: &random)).map { _ in
            object(
                [
                    "id": uuid(&random),
                    "compute": .string(["cams", "dbxaas", "k8s_batch"].randomElement(using: &random)!),
                    "name": .string(RandomJSON.string(&random)), "version": .string(RandomJSON.string(&random)),
                    "eager": .bool(Bool.random(using: &random)), "passthrough": extra(&random), "extra": extra(&random),
                ], &random)
        }
        let dependencies: [JSONValue] = (0..<Int.random(in: 0...4, using: &random)).map { _ in
            object(["parent_id": uuid(&random), "child_id": uuid(&random), "extra": extra(&random)], &random)
        }
        return object(
            [
                "dataset": object(["id": uuid(&random), "extra": extra(&random)], &random),
                "data_products": .array(products), "dependencies": .array(dependencies),
            ], &random)
    }

    static func randomStates(_ random: inout SeededGenerator) -> String {
        let entries = (0..<Int.random(in: 1...4, using: &random)).map { _ in
            JSONValue.object([
                "id": .string(UUID().uuidString),
                "state": .string(State.allCases.randomElement(using: &random)!.rawValue),
                "run_id": Bool.random(using: &random) ? .string(UUID().uuidString) : .null,
                "link": .string(RandomJSON.string(&random)), "passback": RandomJSON.value(&random),
            ])
        }
        return RandomText.write(.array(entries), &random)
    }

    /// One fault somewhere in the body: a field missing, null, of the wrong type or of a wrong value.
    static func `break`(_ body: JSONValue, _ random: inout SeededGenerator) -> JSONValue {
        var paths: [[JSONValue.PathStep]] = []
        body.collectPaths(into: &paths, at: [], depthLimit: 3)
        let path = paths.randomElement(using: &random)!
        let faults: [JSONValue?] = [
            nil, .null, .int(7), .double(2.5), .bool(true), .string("not-a-uuid"), .string("Bad-Name"), .array([]),
            .object([:]),
        ]
        return body.replacing(at: path[...], with: faults.randomElement(using: &random)!)
    }
}

extension JSONValue {
    enum PathStep {
        case key(String)
        case index(Int)
    }

    func collectPaths(into paths: inout [[PathStep]], at path: [PathStep], depthLimit: Int) {
        paths.append(path)
        guard path.count < depthLimit else { return }
        switch self {
        case .object(let members):
            for (key, value) in members where key != "unknown" && key != "extra" && key != "passthrough" {
                value.collectPaths(into: &paths, at: path + [.key(key)], depthLimit: depthLimit)
            }
        case .array(let elements):
            for (index, value) in elements.enumerated() {
                value.collectPaths(into: &paths, at: path + [.index(index)], depthLimit: depthLimit)
            }
        default: break
        }
    }

    /// This value with the one at `path` replaced, or removed when `replacement` is nil.
    func replacing(at path: ArraySlice<PathStep>, with replacement: JSONValue?) -> JSONValue {
        guard let step = path.first else { return replacement ?? .null }
        switch (self, step) {
        case (.object(var members), .key(let key)):
            let rest = path.dropFirst()
            if rest.isEmpty, replacement == nil {
                members[key] = nil
            } else {
                members[key] = members[key]!.replacing(at: rest, with: replacement)
            }
            return .object(members)
        case (.array(var elements), .index(let index)):
            elements[index] = elements[index].replacing(at: path.dropFirst(), with: replacement ?? .null)
            return .array(elements)
        default:
            return self
        }
    }
}
