import Foundation

/// Decodes a `Decodable` from a parsed `JSONValue`, with the errors Foundation's `JSONDecoder`
/// throws (same cases, same coding paths), so `JSONInput.describe` reads the same either way.
///
/// Two types are read straight from the tree: `JSONValue` itself, which Foundation's decoder can
/// only offer by trial and error, and `UUID`, which Foundation parses through a C scanner.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: JSONValue, at codingPath: [any CodingKey] = []) {
        self.value = value
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .object(let members):
            return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
        case .null:
            throw DecodingError.valueNotFound(
                KeyedDecodingContainer<Key>.self,
                .init(
                    codingPath: codingPath,
                    debugDescription: "Cannot get keyed decoding container -- found null value instead"))
        default:
            throw Self.mismatch([String: Any].self, value, codingPath)
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let elements):
            return UnkeyedContainer(elements: elements, codingPath: codingPath)
        case .null:
            throw DecodingError.valueNotFound(
                (any UnkeyedDecodingContainer).self,
                .init(
                    codingPath: codingPath,
                    debugDescription: "Cannot get unkeyed decoding container -- found null value instead"))
        default:
            throw Self.mismatch([Any].self, value, codingPath)
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// Decodes `type` from `value`, the one entry point every container goes through. The coding
    /// path is built only where it is needed: for an error, or for a nested decoder.
    static func decode<T: Decodable>(
        _ type: T.Type, from value: JSONValue, at codingPath: @autoclosure () -> [any CodingKey]
    ) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        if T.self == UUID.self { return try uuid(from: value, at: codingPath()) as! T }
        if T.self == String.self { return try string(from: value, at: codingPath()) as! T }
        if T.self == Bool.self { return try bool(from: value, at: codingPath()) as! T }
        return try T(from: JSONValueDecoder(value, at: codingPath()))
    }

    static func string(from value: JSONValue, at codingPath: @autoclosure () -> [any CodingKey]) throws -> String {
        guard case .string(let text) = value else { throw failure(String.self, value, codingPath()) }
        return text
    }

    static func bool(from value: JSONValue, at codingPath: @autoclosure () -> [any CodingKey]) throws -> Bool {
        // Foundation's decoder calls a null boolean the wrong type, not a missing value.
        guard case .bool(let flag) = value else { throw mismatch(Bool.self, value, codingPath()) }
        return flag
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, from value: JSONValue, at codingPath: [any CodingKey])
        throws -> T
    {
        let number: T?
        switch value {
        case .int(let integer): number = T(exactly: integer)
        case .double(let double): number = T(exactly: double)
        default: throw failure(T.self, value, codingPath)
        }
        guard let number else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath,
                    debugDescription: "Parsed JSON number <\(value.jsonText)> does not fit in \(T.self)."))
        }
        return number
    }

    static func floatingPoint<T: BinaryFloatingPoint>(
        _ type: T.Type, from value: JSONValue, at codingPath: [any CodingKey]
    )
        throws -> T
    {
        switch value {
        case .int(let integer): return T(integer)
        case .double(let double): return T(double)
        default: throw failure(T.self, value, codingPath)
        }
    }

    /// UUID's own `init(from:)` decodes a string and throws this when it is not one.
    private static func uuid(from value: JSONValue, at codingPath: @autoclosure () -> [any CodingKey]) throws -> UUID {
        guard let uuid = UUID(text: try string(from: value, at: codingPath())) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath(), debugDescription: "Attempted to decode UUID from invalid UUID string."))
        }
        return uuid
    }

    /// A null where a `T` was expected is missing; anything else is the wrong type.
    static func failure(_ type: Any.Type, _ value: JSONValue, _ codingPath: [any CodingKey]) -> DecodingError {
        if value == .null {
            return .valueNotFound(
                type, .init(codingPath: codingPath, debugDescription: "Expected \(type) value but found null instead."))
        }
        return mismatch(type, value, codingPath)
    }

    static func mismatch(_ type: Any.Type, _ value: JSONValue, _ codingPath: [any CodingKey]) -> DecodingError {
        let found =
            switch value {
            case .null: "null"
            case .bool: "bool"
            case .int, .double: "number"
            case .string: "a string"
            case .array: "an array"
            case .object: "a dictionary"
            }
        return .typeMismatch(
            type,
            .init(codingPath: codingPath, debugDescription: "Expected to decode \(type) but found \(found) instead."))
    }
}

/// The key of an array element in a coding path, as Foundation names it.
struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }

    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}
