import Foundation

/// Decodes request bodies and files into model types, turning every failure into a 400 that
/// names the field (`docs/api.md` §1), the same way for the API and the CLI. The text is parsed by
/// `JSONParser` and decoded by `JSONValueDecoder`, which throw what Foundation's decoder throws.
public enum JSONInput {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: Data) throws(CommandError) -> T {
        try decode(type, parsing: { () throws(JSONParser.Failure) in try JSONParser.parse(bytes) })
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(CommandError) -> T {
        try decode(type, parsing: { () throws(JSONParser.Failure) in try JSONParser.parse(bytes) })
    }

    private static func decode<T: Decodable>(
        _ type: T.Type, parsing parse: () throws(JSONParser.Failure) -> JSONValue
    ) throws(CommandError) -> T {
        let value: JSONValue
        do {
            value = try parse()
        } catch {
            throw CommandError(.badRequest, error.tooDeep ? error.reason : "Malformed JSON: \(error)")
        }
        do {
            return try JSONValueDecoder.decode(type, from: value, at: [])
        } catch let error as DecodingError {
            throw CommandError(.badRequest, describe(error))
        } catch {
            throw CommandError(.badRequest, "Invalid value: \(error)")
        }
    }

    public static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "Missing required field '\(path(context.codingPath + [key]))'"
        case .valueNotFound(_, let context):
            return "Field '\(path(context.codingPath))' must not be null"
        case .typeMismatch(let type, let context):
            return "Invalid type for '\(path(context.codingPath))': expected \(typeName(type))"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "Malformed JSON: \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "Invalid value for '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "Malformed JSON"
        }
    }

    /// `data_products[2].name`; a top-level array element is `[2].state`.
    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "(body)" : text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "\(type)"
        }
    }
}
