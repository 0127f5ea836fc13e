import Foundation

/// Parses JSON text (RFC 8259, strictly) into a `JSONValue` in one pass over the bytes.
///
/// Request bodies are decoded from this tree by `JSONValueDecoder` instead of Foundation's
/// `JSONDecoder`, which cost a quarter of the server's time on a big plan's post and had to be
/// probed type by type for every free-form value (`docs/decisions.md`, JSON input). It reads what
/// Foundation reads, with these differences: trailing commas are refused (RFC 8259 and the earlier
/// Rust service refuse them); a number with a fraction or an exponent is an integer when its value
/// is one that a `Double` and an `Int64` both hold exactly. Duplicate keys keep the first value, as
/// Foundation does. Nesting deeper than `JSONNesting.limit` is refused.
public struct JSONParser: ~Copyable {
    /// Why the text is not JSON, with the line and column (both from 1) where reading stopped.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public let line: Int
        public let column: Int
        public let tooDeep: Bool

        public var description: String { "\(reason) at line \(line), column \(column)" }
    }

    let bytes: UnsafeRawBufferPointer
    var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> JSONValue {
        var parser = JSONParser(bytes)
        parser.skipBlanks()
        let value = try parser.value()
        parser.skipBlanks()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        try withBytes(bytes) { (buffer) throws(Failure) in try parse(buffer) }
    }

    public static func parse(_ data: Data) throws(Failure) -> JSONValue {
        try withBytes(data) { (buffer) throws(Failure) in try parse(buffer) }
    }

    /// `withUnsafeBytes` with a typed throw: its own signature erases the error type.
    private static func withBytes(
        _ buffer: some ContiguousBytes, _ body: (UnsafeRawBufferPointer) throws(Failure) -> JSONValue
    ) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = buffer.withUnsafeBytes { pointer in
            do throws(Failure) { return .success(try body(pointer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    // MARK: Values

    private mutating func value() throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected \(character(at: index))")
        }
    }

    private mutating func object() throws(Failure) -> JSONValue {
        try enter()
        var members: [String: JSONValue] = [:]
        index += 1
        skipBlanks()
        if try consume(UInt8(ascii: "}")) { return leave(.object(members)) }
        repeat {
            skipBlanks()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure("expected a key in quotes, found \(character(at: index))")
            }
            let key = try string()
            skipBlanks()
            try expect(UInt8(ascii: ":"))
            skipBlanks()
            let member = try value()
            if members[key] == nil { members[key] = member }
            skipBlanks()
        } while try consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), or: "',' or '}'")
        return leave(.object(members))
    }

    private mutating func array() throws(Failure) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        index += 1
        skipBlanks()
        if try consume(UInt8(ascii: "]")) { return leave(.array(elements)) }
        repeat {
            skipBlanks()
            elements.append(try value())
            skipBlanks()
        } while try consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), or: "',' or ']'")
        return leave(.array(elements))
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= JSONNesting.limit else { throw failure(JSONNesting.tooDeep, tooDeep: true) }
    }

    private mutating func leave(_ value: JSONValue) -> JSONValue {
        depth -= 1
        return value
    }

    private mutating func literal(_ word: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            memcmp(bytes.baseAddress! + index, word.utf8Start, count) == 0
        else { throw failure("unexpected \(character(at: index))") }
        index += count
        return value
    }

    // MARK: Bytes

    mutating func skipBlanks() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Steps over `byte` if it comes next.
    private mutating func consume(_ byte: UInt8) throws(Failure) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func expect(_ byte: UInt8, or wanted: String? = nil) throws(Failure) {
        guard try consume(byte) else {
            throw failure("expected \(wanted ?? "'\(Character(Unicode.Scalar(byte)))'"), found \(character(at: index))")
        }
    }

    func character(at position: Int) -> String {
        guard position < bytes.count else { return "the end of the text" }
        let byte = bytes[position]
        return (0x21..<0x7F).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    func failure(_ reason: String, at position: Int? = nil, tooDeep: Bool = false) -> Failure {
        let position = min(position ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for offset in 0..<position where bytes[offset] == UInt8(ascii: "\n") {
            line += 1
            lineStart = offset + 1
        }
        return Failure(reason: reason, line: line, column: position - lineStart + 1, tooDeep: tooDeep)
    }
}
