import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// The events stream (`docs/api.md` §5), read by curl as any SSE client would.
@Suite("Plan events stream")
struct EventsTests {
    @Test func aPlanEventThenOneChangeEventPerCommittedChange() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            var factory = PlanFactory()
            let plan = factory.plan(["A", "B"], [("A", "B")])
            _ = try await api.call("POST", "/api/plan", json: plan, token: token)
            let dataset = factory.datasetID.lowercasedString
            let stream = try EventStream("\(api.base)/api/plan/\(dataset)/events")
            defer { stream.close() }

            let first = try #require(await stream.next())
            #expect(first.name == "plan" && first.id == "1")
            #expect(first.json["version"] as? Int == 1)
            #expect(((first.json["plan"] as? [String: Any])?["data_products"] as? [Any])?.count == 2)
            #expect(stream.responseHeaders.lowercased().contains("content-type: text/event-stream"))

            let a = factory.id("A").lowercasedString
            let update = #"[{"id": "\#(a)", "state": "success", "link": "https://r.test/1"}]"#
            _ = try await api.call("PUT", "/api/data_product/\(dataset)/update", body: update, token: token)
            // Pushed at the commit: `next` gives up after 5 s, a third of the 15 s heartbeat that
            // would otherwise be the first thing to arrive.
            let change = try #require(await stream.next(), "a change is pushed when it commits")
            #expect(change.name == "change" && change.id == "2")
            let changes = try #require(change.json["changes"] as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: changes.map { ($0["id"] as? String ?? "", $0) })
            #expect(byID[a]?["state"] as? String == "success" && byID[a]?["link"] as? String == "https://r.test/1")
            #expect(byID[factory.id("B").lowercasedString]?["state"] as? String == "queued")
            #expect(change.json["paused"] == nil)

            _ = try await api.call("PUT", "/api/plan/\(dataset)/pause", token: token)
            let paused = try #require(await stream.next())
            #expect(paused.id == "3" && paused.json["paused"] as? Bool == true)
        }
    }

    @Test func aReconnectingClientGetsWhatItMissedOrAFreshPlan() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            var factory = PlanFactory()
            _ = try await api.call("POST", "/api/plan", json: factory.plan(["A"], eager: false), token: token)
            let dataset = factory.datasetID.lowercasedString
            for state in ["running", "success", "failed"] {
                let body = #"[{"id": "\#(factory.id("A").lowercasedString)", "state": "\#(state)"}]"#
                _ = try await api.call("PUT", "/api/data_product/\(dataset)/update", body: body, token: token)
            }
            let resumed = try EventStream("\(api.base)/api/plan/\(dataset)/events", lastEventID: "2")
            defer { resumed.close() }
            let missed = [await resumed.next(), await resumed.next()]
            #expect(missed.map { $0?.id } == ["3", "4"] && missed.allSatisfy { $0?.name == "change" })

            // `?after=` does the same for a first connection (a page showing version 3).
            let page = try EventStream("\(api.base)/api/plan/\(dataset)/events?after=3")
            defer { page.close() }
            let next = try #require(await page.next())
            #expect(next.name == "change" && next.id == "4")
            let malformed = try await api.call("GET", "/api/plan/\(dataset)/events?after=three")
            #expect(
                malformed.status == 400
                    && malformed.detail == "Invalid value for 'after': 'three' is not a whole number")

            let tooOld = try EventStream("\(api.base)/api/plan/\(dataset)/events", lastEventID: "garbage")
            defer { tooOld.close() }
            let fresh = try #require(await tooOld.next())
            #expect(fresh.name == "plan" && fresh.id == "4")
        }
    }

    /// On PostgreSQL a change made through one instance reaches streams served by another.
    @Test(.enabled(if: Backend.available.contains(.postgres)))
    func changesReachStreamsOfOtherInstances() async throws {
        try await withTwoInstancesAndAPlan { writer, reader, token, dataset, product in
            let stream = try EventStream("\(reader.base)/api/plan/\(dataset)/events")
            defer { stream.close() }
            #expect(await stream.next()?.name == "plan")
            let body = #"[{"id": "\#(product)", "state": "running"}]"#
            _ = try await writer.call("PUT", "/api/data_product/\(dataset)/update", body: body, token: token)
            let change = try #require(await stream.next())
            #expect(change.id == "2" && change.data.contains(#""state":"running""#))
            let metrics = try await reader.call("GET", "/metrics").text
            #expect(
                metrics.contains("fletcher_db_pool_in_use")
                    && metrics.contains("fletcher_db_pool_wait_seconds_count"))
        }
    }

    @Test func unknownOrMalformedPlansAreProblems() async throws {
        try await withFletcher { api in
            let missing = try await api.call("GET", "/api/plan/\(UUID().lowercasedString)/events")
            #expect(missing.status == 404 && missing.detail?.hasPrefix("Dataset not found") == true)
            #expect(try await api.call("GET", "/api/plan/nope/events").status == 400)
        }
    }
}
