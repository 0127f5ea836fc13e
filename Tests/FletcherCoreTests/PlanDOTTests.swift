import FletcherCore
import Foundation
import Testing

@Suite("The plan as Graphviz DOT")
struct PlanDOTTests {
    private func plan(_ products: [(String, State)], _ edges: [(Int, Int)] = []) -> Plan {
        let stamp = Timestamp(microsecondsSinceEpoch: 0)
        let rows = products.map {
            DataProduct(
                id: UUID(), compute: .cams, name: $0.0, version: "1.0", eager: true, passthrough: nil, state: $0.1,
                runID: nil, link: nil, passback: nil, extra: nil, modifiedBy: "t", modifiedDate: stamp)
        }
        return Plan(
            dataset: Dataset(id: UUID(), paused: false, extra: nil, modifiedBy: "t", modifiedDate: stamp),
            dataProducts: rows,
            dependencies: edges.map {
                Dependency(
                    parentID: rows[$0.0].id, childID: rows[$0.1].id, extra: nil, modifiedBy: "t", modifiedDate: stamp)
            })
    }

    @Test func oneBoxPerProductColouredByStateWithItsEdges() {
        let plan = plan([("A", .success), ("B", .running), ("C", .failed), ("D", .disabled)], [(0, 1), (1, 2)])
        let dot = PlanDOT.render(plan)
        #expect(dot.hasPrefix("digraph \"\(plan.dataset.id.lowercasedString)\" {"))
        #expect(dot.contains("rankdir=LR") && dot.contains("shape=box"))
        for product in plan.dataProducts {
            let line = dot.split(separator: "\n").first { $0.hasPrefix("  \"\(product.id.lowercasedString)\" [") }
            #expect(line?.contains("label=\"\(product.name):1.0\"") == true)
            #expect(line?.contains("fillcolor=\"\(PlanDOT.fill(product.state))\"") == true)
            #expect(
                line?.contains("URL=\"/plan/\(plan.dataset.id.lowercasedString)/\(product.id.lowercasedString)\"")
                    == true)
            #expect(line?.contains("dashed") == (product.state == .disabled))
        }
        #expect(dot.components(separatedBy: " -> ").count - 1 == 2)
        #expect(Set(State.allCases.map(PlanDOT.fill)).count == State.allCases.count, "every state has its own colour")
    }

    @Test func clientTextCannotEscapeItsString() {
        let hostile = #"x" URL="javascript:alert(1)" label=<<b>hi</b>> \"#
        let dot = PlanDOT.render(plan([(hostile + "\nline", .waiting)]))
        #expect(dot.contains(#"label="x\" URL=\"javascript:alert(1)\" label=<<b>hi</b>> \\ line:1.0""#), "\(dot)")
        // Outside the escaped strings only Fletcher's own attributes remain.
        let unquoted = dot.replacingOccurrences(of: #""(\\.|[^"\\])*""#, with: "S", options: .regularExpression)
        #expect(!unquoted.contains("javascript") && !unquoted.contains("<"))
    }
}
