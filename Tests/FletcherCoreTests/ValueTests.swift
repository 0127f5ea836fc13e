import FletcherCore
import Foundation
import Testing

@Suite("Timestamps, JSON values and request decoding")
struct ValueTests {
    /// Ids are written by Fletcher's own formatter; it must say what Foundation says, in lowercase.
    @Test func idsAreWrittenAsFoundationWritesThemInLowercase() {
        for id in [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))] + (0..<1_000).map({ _ in UUID() }) {
            var bytes: [UInt8] = []
            id.appendLowercased(to: &bytes)
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(bytes == Array(id.uuidString.lowercased().utf8))
            #expect(UUID(text: id.lowercasedString) == id)
            #expect(UUID(text: id.uuidString) == id)
        }
    }

    /// Ids are read by Fletcher's own parser: the 36-character form in either case, as Foundation
    /// reads it, and nothing else (Foundation's scanner also takes a last group one digit short).
    @Test func idsAreReadInTheirThirtySixCharacterFormOnly() {
        for text in ["f3898528-2a1b-4c3d-9e8f-0123456789ab", "F3898528-2A1B-4C3D-9E8F-0123456789AB"] {
            #expect(UUID(text: text) != nil)
            #expect(UUID(text: text) == UUID(uuidString: text))
        }
        let malformed = [
            "", "not-a-uuid", "f3898528-2a1b-4c3d-9e8f-0123456789a", "f3898528-2a1b-4c3d-9e8f-0123456789abc",
            "f38985282a1b4c3d9e8f0123456789ab", "f3898528-2a1b-4c3d-9e8f_0123456789ab",
            "g3898528-2a1b-4c3d-9e8f-0123456789ab", "{f3898528-2a1b-4c3d-9e8f-0123456789ab}",
            " f3898528-2a1b-4c3d-9e8f-0123456789a", "f3898528-2a1b-4c3d-9e8f-0123456789ä",
        ]
        for text in malformed {
            #expect(UUID(text: text) == nil, "\(text)")
        }
    }

    @Test func timestampsFormatInUTCWithMicroseconds() {
        #expect(Timestamp(microsecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSinceEpoch: 1_795_946_400_123_456).rfc3339 == "2026-11-29T10:00:00.123456Z")
        #expect(Timestamp(microsecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(microsecondsSinceEpoch: 951_782_400_000_000).rfc3339 == "2000-02-29T00:00:00.000000Z")
    }

    /// Over years 1 to 9999: the text reads back as the same instant, and its seconds are what
    /// Foundation's Gregorian UTC calendar says (from 1600, where its calendar is Gregorian).
    @Test func timestampsFormatLikeTheCalendarAndReadBack() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let micros = Int64.random(in: -62_135_596_800_000_000...253_402_300_799_999_999, using: &generator)
            let timestamp = Timestamp(microsecondsSinceEpoch: micros)
            let text = timestamp.rfc3339
            #expect(Timestamp(rfc3339: text) == timestamp, "\(text)")
            let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            guard let year = parts.year, year >= 1600 else { continue }
            let expected = [
                String(format: "%04d-%02d-%02dT", year, parts.month!, parts.day!),
                String(
                    format: "%02d:%02d:%02d.%06lldZ", parts.hour!, parts.minute!, parts.second!,
                    micros - seconds * 1_000_000),
            ].joined()
            #expect(text == expected)
        }
    }

    @Test func timestampsParseAnyRFC3339Offset() {
        let utc = Timestamp(rfc3339: "2026-11-29T10:00:00.123456Z")
        #expect(utc?.microsecondsSinceEpoch == 1_795_946_400_123_456)
        #expect(Timestamp(rfc3339: "2026-11-29T11:30:00.123456+01:30") == utc)
        #expect(Timestamp(rfc3339: "2026-11-29T05:00:00.123456789-05:00") == utc)  // truncated to µs
        #expect(Timestamp(rfc3339: "2026-11-29T10:00:00Z")?.microsecondsSinceEpoch == 1_795_946_400_000_000)
        #expect(Timestamp(rfc3339: "2026-11-29T10:00:00.5z")?.microsecondsSinceEpoch == 1_795_946_400_500_000)
        for bad in [
            "2026-11-29", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-29T10:00:00",
            "2026-11-29T10:00:00.Z", "x",
        ] {
            #expect(Timestamp(rfc3339: bad) == nil, "\(bad)")
        }
    }

    @Test func timestampsRoundTripAcrossCenturies() {
        var value: Int64 = -2_208_988_800_000_000  // 1900
        while value < 7_258_118_400_000_000 {  // 2200
            let stamp = Timestamp(microsecondsSinceEpoch: value)
            #expect(Timestamp(rfc3339: stamp.rfc3339) == stamp)
            value += 86_399_999_937
        }
    }

    @Test func jsonTextIsCompactSortedAndEscaped() throws {
        let value: JSONValue = [
            "b": [1, 2.5, true, nil], "a": "x\"\\\n\u{01}/é", "c": ["z": 1, "y": -9_007_199_254_740_993],
        ]
        #expect(value.jsonText == #"{"a":"x\"\\\n\u0001/é","b":[1,2.5,true,null],"c":{"y":-9007199254740993,"z":1}}"#)
        #expect(try JSONValue(jsonText: value.jsonText) == value)
        // Foundation's decoder does not tell `1.0` from `1`: integral numbers come back as integers.
        #expect(try JSONValue(jsonText: "1.0") == .int(1))
        #expect(try JSONValue(jsonText: "1.5") == .double(1.5))
        #expect(try JSONValue(jsonText: "12") == .int(12))
    }

    @Test func nestingIsMeasuredWithoutParsing() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let limit = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(JSONNesting.exceeds(64, in: Array(deep.utf8)))
        #expect(!JSONNesting.exceeds(64, in: Array(limit.utf8)))
        let inString = "{\"a\": \"" + String(repeating: "[", count: 100) + "\\\"\"}"
        #expect(!JSONNesting.exceeds(64, in: Array(inString.utf8)))
    }

    @Test func decodingErrorsNameTheField() {
        func message(_ json: String) -> String? {
            do {
                _ = try JSONInput.decode(PlanParam.self, from: Data(json.utf8))
                return nil
            } catch {
                return error.message
            }
        }
        let id = UUID().lowercasedString
        #expect(message("{")?.hasPrefix("Malformed JSON") == true)
        #expect(
            message(#"{"dataset": {"id": "\#(id)"}, "data_products": []}"#) == "Missing required field 'dependencies'")
        #expect(
            message(#"{"dataset": {"id": "nope"}, "data_products": [], "dependencies": []}"#)?
                .hasPrefix("Invalid value for 'dataset.id'") == true)
        let product = #"{"id": "\#(id)", "compute": "cams", "name": "n", "version": "v", "eager": "yes"}"#
        #expect(
            message(#"{"dataset": {"id": "\#(id)"}, "data_products": [\#(product)], "dependencies": []}"#)
                == "Invalid type for 'data_products[0].eager': expected a boolean")
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        #expect(message(#"{"dataset": {"id": "\#(id)", "extra": \#(deep)}}"#) == "JSON is nested deeper than 64 levels")
    }

    @Test func unknownFieldsAreIgnoredAndUUIDsAreCaseInsensitive() throws {
        let id = UUID()
        let json =
            #"{"dataset": {"id": "\#(id.uuidString)", "paused": true, "extra": null}, "data_products": [], "dependencies": []}"#
        let param = try JSONInput.decode(PlanParam.self, from: Data(json.utf8))
        #expect(param.dataset.id == id && param.dataset.extra == nil)
    }

    @Test func modelEncodesSnakeCaseLowercaseUUIDsAndNulls() throws {
        let id = UUID()
        let product = DataProduct(
            id: id, compute: .dbxaas, name: "n", version: "v", eager: true, passthrough: nil, state: .waiting,
            runID: nil, link: nil, passback: nil, extra: nil, modifiedBy: "svc",
            modifiedDate: Timestamp(microsecondsSinceEpoch: 1_000_001))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(product), as: UTF8.self)
        #expect(
            text
                == #"{"compute":"dbxaas","eager":true,"extra":null,"id":"\#(id.lowercasedString)","link":null,"modified_by":"svc","modified_date":"1970-01-01T00:00:01.000001Z","name":"n","passback":null,"passthrough":null,"run_id":null,"state":"waiting","version":"v"}"#
        )
        #expect(try JSONDecoder().decode(DataProduct.self, from: Data(text.utf8)) == product)
    }
}
