import Foundation

/// The containers of `JSONValueDecoder`. Every value goes through
/// `JSONValueDecoder.decode(_:from:at:)`, so the fast paths and the errors are the same in each.
extension JSONValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try Self.bool(from: value, at: codingPath) }
    func decode(_ type: String.Type) throws -> String { try Self.string(from: value, at: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try Self.floatingPoint(type, from: value, at: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try Self.floatingPoint(type, from: value, at: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Self.integer(type, from: value, at: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Self.integer(type, from: value, at: codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try Self.decode(type, from: value, at: codingPath) }
}

struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try JSONValueDecoder.decode(type, from: try member(key), at: codingPath + [key])
    }

    /// One lookup instead of the default's three (`contains`, `decodeNil`, `decode`).
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = members[key.stringValue], value != .null else { return nil }
        return try JSONValueDecoder.decode(type, from: value, at: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try JSONValueDecoder(try member(key), at: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoder(try member(key), at: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoder(members["super"] ?? .null, at: codingPath + [IndexKey(0)])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoder(members[key.stringValue] ?? .null, at: codingPath + [key])
    }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key,
                .init(
                    codingPath: codingPath,
                    debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return value
    }
}

struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func decodeNil() throws -> Bool {
        guard try element(Never.self) == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try JSONValueDecoder.decode(
            type, from: try element(type), at: codingPath + [IndexKey(currentIndex)])
        currentIndex += 1
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let container = try JSONValueDecoder(try element(type), at: codingPath + [IndexKey(currentIndex)])
            .container(keyedBy: type)
        currentIndex += 1
        return container
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let container = try JSONValueDecoder(try element([Any].self), at: codingPath + [IndexKey(currentIndex)])
            .unkeyedContainer()
        currentIndex += 1
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        let decoder = JSONValueDecoder(try element(Any.self), at: codingPath + [IndexKey(currentIndex)])
        currentIndex += 1
        return decoder
    }

    private func element(_ type: Any.Type) throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                .init(
                    codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "Unkeyed container is at end.")
            )
        }
        return elements[currentIndex]
    }
}
