import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherServer

/// The DAG picture (`docs/ui.md`, plan page): Graphviz's `dot` draws the core's DOT as SVG.
@Suite("The DAG as SVG")
struct PlanPictureTests {
    @Test func oneNodePerProductFilledByStateWithNamesEscaped() async throws {
        try await withFletcher { api in
            let token = try await api.token("admin")
            var factory = PlanFactory()
            var plan = factory.plan(["<script>alert(1)</script>", "B", "C"], [("<script>alert(1)</script>", "B")])
            plan.dataProducts[2].eager = false
            _ = try await api.call("POST", "/api/plan", json: plan, token: token)
            let dataset = factory.datasetID.lowercasedString
            let disabled = try await api.call(
                "DELETE", "/api/data_product/\(dataset)", body: #"["\#(factory.id("C").lowercasedString)"]"#,
                token: token)
            #expect(disabled.status == 200)

            let reply = try await api.call("GET", "/plan/\(dataset)/dag.svg")
            #expect(reply.status == 200 && reply.header("Content-Type")?.hasPrefix("image/svg+xml") == true)
            let svg = reply.text
            #expect(svg.hasPrefix("<svg"), "inlinable: no XML prolog or doctype")
            for (name, state) in [("<script>alert(1)</script>", State.queued), ("B", .waiting), ("C", .disabled)] {
                // dot writes '-' in attribute values as the entity &#45;.
                let id = factory.id(name).lowercasedString.replacingOccurrences(of: "-", with: "&#45;")
                #expect(
                    svg.contains(#"<g id="product&#45;\#(id)" class="node state&#45;\#(state.rawValue)">"#), "\(name)")
            }
            #expect(
                svg.contains(#"fill="\#(PlanDOT.fill(.queued))""#)
                    && svg.contains(#"fill="\#(PlanDOT.fill(.waiting))""#))
            #expect(svg.contains("stroke-dasharray"), "the disabled product is drawn dashed")
            #expect(!svg.contains("<script>") && svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;:1"))
            #expect(svg.contains(#"xlink:href="/plan/\#(dataset)/\#(factory.id("B").lowercasedString)""#))

            #expect(try await api.call("GET", "/plan/\(UUID().lowercasedString)/dag.svg").status == 404)
        }
    }

    @Test func aLayoutThatTakesTooLongIsStoppedAtTheTimeout() async throws {
        let directory = try TemporaryDirectory()
        let slow = directory.path("slow-dot")
        let runs = directory.path("runs")
        try await writeExecutableScript("#!/bin/sh\necho run >> '\(runs)'\nexec sleep 30\n", to: slow)
        let renderer = GraphvizRenderer(executable: slow, timeout: .milliseconds(300))
        let started = ContinuousClock.now
        await #expect(throws: GraphvizRenderer.Failure.timedOut) { try await renderer.svg("digraph { a }") }
        // Stopped, not waited for: the layout would take 30 s (a tighter bound would measure the
        // load of the test machine, where starting a process can take seconds).
        #expect(ContinuousClock.now - started < .seconds(20))
        // The time-out is remembered for this picture: asked again, dot is not run again.
        let launches = try String(contentsOfFile: runs, encoding: .utf8).count
        await #expect(throws: GraphvizRenderer.Failure.timedOut) { try await renderer.svg("digraph { a }") }
        #expect(try String(contentsOfFile: runs, encoding: .utf8).count == launches)
        let missing = GraphvizRenderer(executable: directory.path("no-such-dot"))
        await #expect(throws: GraphvizRenderer.Failure.self) { try await missing.svg("digraph { a }") }
    }

    @Test func theSameDOTIsDrawnOnce() async throws {
        let directory = try TemporaryDirectory()
        let counting = directory.path("counting-dot")
        let runs = directory.path("runs")
        try await writeExecutableScript("#!/bin/sh\necho run >> '\(runs)'\nexec /usr/bin/dot \"$@\"\n", to: counting)
        let renderer = GraphvizRenderer(executable: counting)
        let drawn = try await renderer.svg("digraph { a -> b }")
        #expect(drawn.contains("<svg"))
        let launches = try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").count
        for _ in 0..<50 { #expect(try await renderer.svg("digraph { a -> b }") == drawn) }
        #expect(try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").count == launches)
        _ = try await renderer.svg("digraph { a -> c }")
        #expect(
            try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n").count == launches + 1,
            "another picture is drawn")
    }
}
