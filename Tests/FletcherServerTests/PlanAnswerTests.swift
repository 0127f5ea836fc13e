import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// Whole-plan answers are written from the plan cache's row encodings, in pieces (`PlanJSON`):
/// they must be the bytes `JSONEncoder` writes for the plan, with a matching Content-Length,
/// from every endpoint that answers with a plan and from the events stream.
@Suite("Whole-plan answers")
struct PlanAnswerTests {
    @Test func planAnswersAreTheEncodersBytesWhateverTheirSize() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            var factory = PlanFactory()
            // Big enough to be written in several pieces; text that needs escaping in `extra`.
            let names = (0..<400).map { "P\($0)" }
            let edges = (1..<400).map { ("P\($0 - 1)", "P\($0)") }
            let plan = factory.plan(names, edges, extra: ["note": "a \"quoted\"\n/path\u{8}", "Z": [1, 2.5, nil]])
            let dataset = factory.datasetID.lowercasedString

            let posted = try await api.call("POST", "/api/plan", json: plan, token: token)
            try Self.expectEncodersBytes(posted, products: 400)
            let read = try await api.call("GET", "/api/plan/\(dataset)")
            try Self.expectEncodersBytes(read, products: 400)

            let first = factory.id("P0").lowercasedString
            let update = #"[{"id": "\#(first)", "state": "success"}]"#
            let updated = try await api.call("PUT", "/api/data_product/\(dataset)/update", body: update, token: token)
            try Self.expectEncodersBytes(updated, products: 400)
            let reread = try await api.call("GET", "/api/plan/\(dataset)")
            #expect(reread.body == updated.body, "a read after the update answers what the update did")

            let stream = try EventStream("\(api.base)/api/plan/\(dataset)/events")
            defer { stream.close() }
            let event = try #require(await stream.next())
            #expect(event.name == "plan")
            #expect(event.data == #"{"plan":"# + reread.text + #","version":2}"#)
        }
    }

    /// A `Prefer: return=minimal` answer is written by Fletcher's own writer, not the runtime's
    /// encoder: the same bytes, every changed product, the new version.
    @Test func minimalAnswersAreTheEncodersBytes() async throws {
        struct Minimal: Codable {
            let changes: [DataProduct]
            let version: Int64
        }
        try await withFletcher { api in
            let token = try await api.token("admin")
            var factory = PlanFactory()
            let plan = factory.plan(["A", "B", "C"], [("A", "B"), ("A", "C")])
            _ = try await api.call("POST", "/api/plan", json: plan, token: token)
            let dataset = factory.datasetID.lowercasedString
            let a = factory.id("A").lowercasedString
            let reply = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(a)", "state": "success"}]"#,
                token: token, headers: [("Prefer", "respond-async,  return=minimal ")])
            #expect(reply.status == 200, "\(reply.text.prefix(200))")
            #expect(reply.header("Content-Length") == String(reply.body.count))
            let minimal = try JSONDecoder().decode(Minimal.self, from: Data(reply.body))
            #expect(minimal.version == 2)
            #expect(minimal.changes.map(\.name) == ["A", "B", "C"])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            #expect(Array(try encoder.encode(minimal)) == reply.body, "what JSONEncoder writes for the answer")
        }
    }

    static func expectEncodersBytes(_ reply: API.Reply, products: Int) throws {
        #expect(reply.status == 200, "\(reply.text.prefix(200))")
        #expect(reply.header("Content-Length") == String(reply.body.count))
        #expect(reply.header("Content-Type")?.hasPrefix("application/json") == true)
        let plan = try JSONDecoder().decode(Plan.self, from: Data(reply.body))
        #expect(plan.dataProducts.count == products)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let same = Array(try encoder.encode(plan)) == reply.body
        #expect(same, "the answer is what JSONEncoder writes for the plan it holds")
    }
}
