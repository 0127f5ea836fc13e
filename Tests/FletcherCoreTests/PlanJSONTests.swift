import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// The plan JSON kept per row (`PlanJSON`) is byte for byte what `JSONEncoder` writes with the
/// API's options, for any values a client can send; written whole or in pieces of any size.
@Suite("Plan JSON")
struct PlanJSONTests {
    static func encoderBytes(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    @Test(arguments: 0..<40)
    func rowsOfRandomValuesEncodeAsJSONEncoderDoes(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed &* 104_729 &+ 3)
        let plan = Self.randomPlan(&random)
        let json = PlanJSON(plan)
        let expected = try Self.encoderBytes(plan)
        let same = json.bytes == expected
        #expect(same, "seed \(seed): \(Self.firstDifference(json.bytes, expected))")
        #expect(json.count == json.bytes.count, "seed \(seed)")
        for size in [1, 97, 4096] {
            #expect(Array(json.chunks(of: size).joined()) == json.bytes, "seed \(seed), pieces of \(size)")
        }
        for value in plan.dataProducts.compactMap(\.extra) {
            #expect(Array(value.jsonText.utf8) == (try Self.encoderBytes(value)), "seed \(seed)")
        }
    }

    @Test func anEmptyPlanIsWholeToo() throws {
        var random = SeededGenerator(seed: 1)
        var plan = Self.randomPlan(&random)
        plan.dataProducts = []
        plan.dependencies = []
        #expect(PlanJSON(plan).bytes == (try Self.encoderBytes(plan)))
    }

    /// Where two encodings part, with some context, for a readable failure.
    static func firstDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String {
        let index = ours.indices.first { $0 >= theirs.count || ours[$0] != theirs[$0] } ?? ours.count
        func around(_ bytes: [UInt8]) -> String {
            String(decoding: bytes[max(0, index - 30)..<min(bytes.count, index + 30)], as: UTF8.self).debugDescription
        }
        return "ours \(around(ours)), JSONEncoder \(around(theirs))"
    }

    static func randomPlan(_ random: inout SeededGenerator) -> Plan {
        func optional(_ random: inout SeededGenerator) -> JSONValue? {
            Bool.random(using: &random) ? RandomJSON.value(&random) : nil
        }
        func stamp(_ random: inout SeededGenerator) -> Timestamp {
            Timestamp(microsecondsSinceEpoch: Int64.random(in: 0...4_102_444_800_000_000, using: &random))
        }
        let products = (0..<Int.random(in: 1...12, using: &random)).map { _ in
            DataProduct(
                id: UUID(), compute: Bool.random(using: &random) ? .cams : .dbxaas,
                name: RandomJSON.string(&random), version: RandomJSON.string(&random),
                eager: Bool.random(using: &random), passthrough: optional(&random),
                state: State.allCases.randomElement(using: &random)!,
                runID: Bool.random(using: &random) ? UUID() : nil,
                link: Bool.random(using: &random) ? "https://example.com/" + RandomJSON.string(&random) : nil,
                passback: optional(&random), extra: optional(&random), modifiedBy: RandomJSON.string(&random),
                modifiedDate: stamp(&random))
        }
        let dependencies = (0..<Int.random(in: 0...6, using: &random)).map { _ in
            Dependency(
                parentID: products.randomElement(using: &random)!.id,
                childID: products.randomElement(using: &random)!.id,
                extra: optional(&random), modifiedBy: RandomJSON.string(&random), modifiedDate: stamp(&random))
        }
        return Plan(
            dataset: Dataset(
                id: UUID(), paused: Bool.random(using: &random), extra: optional(&random),
                modifiedBy: RandomJSON.string(&random), modifiedDate: stamp(&random)),
            dataProducts: products, dependencies: dependencies)
    }
}
