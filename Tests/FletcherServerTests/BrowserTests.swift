import FletcherCore
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// The pages in a real headless browser (Debian `chromium`, driven over the DevTools protocol by
/// `Tests/browser/check_ui.py`): DOM of the search and plan pages, accessibility basics, live
/// update within a second, the paged products table of a big plan (pages, filter, sort, reload and
/// back), and screenshots at 1280 px and 375 px (see `screenshots`).
@Suite(
    "Pages in a headless browser",
    .enabled(
        if: ProcessInfo.processInfo.environment["FLETCHER_REQUIRE_BROWSER"] == "1"
            || FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"),
        "needs Debian's chromium (and websocket-client from PyPI)"))
struct BrowserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// Where the screenshots go: under `.build` so a test run leaves the working tree as it was;
    /// `FLETCHER_SCREENSHOTS=docs/screenshots` refreshes the ones the documentation shows.
    static let screenshots =
        ProcessInfo.processInfo.environment["FLETCHER_SCREENSHOTS"]
        ?? root.appendingPathComponent(".build/screenshots").path

    @Test func searchAndPlanPagesInChromium() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            let plan = try JSONDecoder().decode(
                PlanParam.self,
                from: Data(contentsOf: Self.root.appendingPathComponent("examples/accounting-plan.json")))
            _ = try await api.call("POST", "/api/plan", json: plan, token: token)
            let dataset = plan.dataset.id.lowercasedString
            let id = { (name: String) in plan.dataProducts.first { $0.name == name }!.id.lowercasedString }
            let updates = [("BKPF", "success"), ("BSEG", "success"), ("T001", "running")]
                .map {
                    #"{"id": "\#(id($0.0))", "state": "\#($0.1)", "link": "https://cams.example.com/runs/\#($0.0)"}"#
                }
            let updated = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: "[\(updates.joined(separator: ","))]", token: token)
            #expect(updated.status == 200)
            _ = try await api.call(
                "DELETE", "/api/data_product/\(dataset)", body: #"["\#(id("Journals 2000"))"]"#, token: token)

            // A plan bigger than one page of the products table, 7 of its products failed.
            var factory = PlanFactory()
            let big = factory.plan((0..<250).map { "p\($0)" }, eager: false)
            _ = try await api.call("POST", "/api/plan", json: big, token: token)
            let failedIDs = stride(from: 3, to: 250, by: 37).map { factory.id("p\($0)").lowercasedString }
            let failed = failedIDs.map { #"{"id": "\#($0)", "state": "failed"}"# }
            let bigDataset = factory.datasetID.lowercasedString
            let failing = try await api.call(
                "PUT", "/api/data_product/\(bigDataset)/update", body: "[\(failed.joined(separator: ","))]",
                token: token)
            #expect(failing.status == 200)

            // A paused plan, for the search page's status column.
            var pausedFactory = PlanFactory()
            _ = try await api.call(
                "POST", "/api/plan", json: pausedFactory.plan(["load", "report"], [("load", "report")]), token: token)
            let paused = pausedFactory.datasetID.lowercasedString
            #expect(try await api.call("PUT", "/api/plan/\(paused)/pause", token: token).status == 200)

            let arguments = [
                "python3", Self.root.appendingPathComponent("Tests/browser/check_ui.py").path, api.base, dataset, token,
                id("GLT0"), Self.screenshots, bigDataset, String(failed.count), paused,
                pausedFactory.id("load").lowercasedString,
            ]
            // The server under test runs in this process: `runCommand` waits off the shared pool.
            let output = try await runCommand(arguments)
            #expect(output.status == 0, "\(output.output)")
            let last = output.output.split(separator: "\n").last.map(String.init) ?? ""
            let report = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] ?? [:]
            #expect(report["svg_nodes"] as? Int == plan.dataProducts.count)
            #expect(report["table_rows"] as? Int == plan.dataProducts.count)
            #expect(report["search_rows"] as? Int == 3, "the search page lists every plan")
            #expect(report["search_live_seconds"] is Double, "a change reaches the open search page")
            #expect((report["live_update_seconds"] as? Double ?? 9) < 1)
            #expect(report["paged_rows"] as? [Int] == [100, 100, failed.count, failed.count, 100])
        }
    }

    /// The timeline of a plan that ran on the simulators: bars in the table's order, widths by
    /// recorded run time, the critical path outlined, a new attempt on the open page within a
    /// second, and screenshots (`plan-timeline-*.png`).
    @Test func timelineInChromium() async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = 0.3
        try await withPlatforms(settings) { platforms in
            platforms.dbxaas.update { $0.runSeconds = 1.0 }
            try await withFletcher(environment: platforms.environment()) { api in
                platforms.notify(api)
                var factory = PlanFactory()
                let names = ["extract", "clean", "join", "aggregate", "publish", "audit", "archive"]
                let plan = dispatchPlan(
                    &factory, names,
                    [
                        ("extract", "clean"), ("clean", "join"), ("extract", "audit"), ("join", "aggregate"),
                        ("aggregate", "publish"), ("audit", "publish"),
                    ],
                    dbxaas: ["join", "audit"])
                let posted = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                #expect(posted.status == 200, "\(posted.text)")
                do {
                    try await eventually("every product succeeds") {
                        try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }
                    }
                } catch {
                    Issue.record(error, "\(await api.describe(factory.datasetID))")
                    return
                }
                // The critical path of the recorded attempts, before the check clears a product.
                let (state, runs) = try await api.latestAttempts(factory.datasetID)
                #expect(runs.count == names.count)
                let critical = state.graph.criticalPath(runs.attemptSpans, now: Timestamp(microsecondsSinceEpoch: 0))
                let arguments = [
                    "python3", Self.root.appendingPathComponent("Tests/browser/check_timeline.py").path, api.base,
                    factory.datasetID.lowercasedString, try await api.token("admin"),
                    factory.id("publish").lowercasedString, Self.screenshots,
                ]
                let output = try await runCommand(arguments)
                #expect(output.status == 0, "\(output.output)")
                let last = output.output.split(separator: "\n").last.map(String.init) ?? ""
                let report = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] ?? [:]
                #expect(report["bars"] as? Int == names.count)
                #expect(report["critical"] as? Int == critical.count)
                #expect(critical.count >= 3, "publish waited for a chain through a join")
            }
        }
    }
}
