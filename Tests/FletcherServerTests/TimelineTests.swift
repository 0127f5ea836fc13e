import FletcherCore
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherServer

/// The plan page's timeline over real dispatch: one bar per product that ran, in the table's
/// order, widths proportional to the recorded run times, the critical path outlined, a text
/// alternative; a plan that never ran says so.
@Suite("Plan timeline")
struct TimelineTests {
    @Test func barsFollowTheRecordedAttemptsAndTheCriticalPathIsOutlined() async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = 0.2
        try await withPlatforms(settings) { platforms in
            platforms.dbxaas.update { $0.runSeconds = 0.6 }
            try await withFletcher(environment: platforms.environment()) { api in
                platforms.notify(api)
                var factory = PlanFactory()
                // A → B → C is the long chain (B on the slower DBXaaS); D runs alone.
                let plan = dispatchPlan(&factory, ["A", "B", "C", "D"], [("A", "B"), ("B", "C")], dbxaas: ["B"])
                let posted = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                #expect(posted.status == 200, "\(posted.text)")
                try await eventually("every product succeeds") {
                    try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }
                }
                let dataset = factory.datasetID.lowercasedString
                let page = try await api.call("GET", "/plan/\(dataset)").text
                let bars = Self.bars(in: page)
                #expect(bars.map(\.product) == ["A", "B", "C", "D"].map { factory.id($0).lowercasedString })
                #expect(bars.map(\.state) == ["success", "success", "success", "success"])
                // Widths are run times on one scale, and the run times are the recorded ones.
                let (state, runs) = try await api.latestAttempts(factory.datasetID)
                var pixelsPerSecond: [Double] = []
                for bar in bars {
                    let position = try #require(UUID(uuidString: bar.product).flatMap(state.graph.position(of:)))
                    let run = try #require(runs[position])
                    let started = try #require(run.startedAt)
                    let finished = try #require(run.finishedAt)
                    let seconds = Double(finished.microsecondsSinceEpoch - started.microsecondsSinceEpoch) / 1e6
                    #expect(abs(bar.seconds - seconds) < 1e-5)
                    // A run reported started and finished at once is drawn 1 px wide, to be seen.
                    if seconds > 0.001 { pixelsPerSecond.append(bar.width / seconds) } else { #expect(bar.width == 1) }
                }
                let scale = try #require(pixelsPerSecond.first)
                #expect(pixelsPerSecond.allSatisfy { abs($0 / scale - 1) < 0.02 }, "\(pixelsPerSecond)")
                // The outlined bars are the critical path of the recorded attempts (which chain it is
                // depends on how the runs went; the rule itself is CriticalPathTests').
                let path = state.graph.criticalPath(runs.attemptSpans, now: Timestamp(microsecondsSinceEpoch: 0))
                #expect(!path.isEmpty)
                #expect(bars.filter(\.critical).map(\.product) == path.map { state.products[$0].id.lowercasedString })
                #expect(page.contains("The timeline as a table"))
                #expect(!page.contains(#"class="now""#), "nothing is live")

                // The fragment the script refreshes follows the table's filter.
                let fragment = try await api.call("GET", "/plan/\(dataset)/timeline?sort=name&order=desc").text
                #expect(Self.bars(in: fragment).map(\.product) == bars.map(\.product).reversed())
            }
        }
    }

    @Test func aPlanThatNeverRanSaysSo() async throws {
        try await withFletcher { api in
            var factory = PlanFactory()
            _ = try await api.call("POST", "/api/plan", json: factory.plan(["A"]), token: try await api.token("admin"))
            let page = try await api.call("GET", "/plan/\(factory.datasetID.lowercasedString)").text
            #expect(page.contains("No product of this plan has run through Fletcher&#39;s dispatch yet."))
            #expect(Self.bars(in: page).isEmpty)
        }
    }

    @Test func durationsAndTicksReadAsPeopleWriteThem() {
        #expect(
            [0, 2, 59.94, 60, 252, 3600, 3900, 90000].map { DurationText.of(seconds: $0) } == [
                "0.0 s", "2.0 s", "59.9 s", "1 min", "4 min 12 s", "1 h", "1 h 5 min", "1 d 1 h",
            ])
        // At most eight ticks, at a round step, from the start.
        #expect(TimelineView.ticks(seconds: 2.3).map(\.1) == ["0.0 s", "0.5 s", "1.0 s", "1.5 s", "2.0 s"])
        #expect(
            TimelineView.ticks(seconds: 3000).map(\.1) == ["0.0 s", "10 min", "20 min", "30 min", "40 min", "50 min"])
        #expect(TimelineView.ticks(seconds: 86400 * 3).count <= 8)
    }

    struct Bar {
        let product: String
        let state: String
        let critical: Bool
        let width: Double
        let seconds: Double
    }

    /// The bars of a timeline, read from its SVG.
    static func bars(in html: String) -> [Bar] {
        html.components(separatedBy: "<g class=\"bar").dropFirst().compactMap { part in
            func attribute(_ name: String, after marker: String = "") -> String? {
                let start = marker.isEmpty ? part.startIndex : part.range(of: marker)?.upperBound ?? part.endIndex
                guard let range = part[start...].range(of: " \(name)=\"") else { return nil }
                return String(part[range.upperBound...].prefix { $0 != "\"" })
            }
            guard let product = attribute("data-product"), let state = attribute("data-state") else { return nil }
            return Bar(
                product: product, state: state, critical: part.hasPrefix(" critical"),
                width: Double(attribute("width", after: "class=\"run\"") ?? "") ?? 0,
                seconds: Double(attribute("data-seconds") ?? "") ?? 0)
        }
    }
}
