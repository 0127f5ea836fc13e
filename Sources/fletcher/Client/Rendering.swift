import FletcherClient
import FletcherCore
import Foundation

/// The readable forms of the server's answers (`--json` prints the answers themselves).
enum Rendering {
    static func plan(_ plan: Plan) -> String {
        let dataset = plan.dataset
        var counts: [State: Int] = [:]
        for product in plan.dataProducts { counts[product.state, default: 0] += 1 }
        let summary = State.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }
        var lines = [
            "dataset \(dataset.id.lowercasedString)  \(dataset.paused ? "PAUSED" : "active")  "
                + "modified \(dataset.modifiedDate.rfc3339) by \(dataset.modifiedBy)",
            "extra: \(dataset.extra?.jsonText ?? "null")",
            "\(plan.dataProducts.count) products" + (summary.isEmpty ? "" : ": " + summary.joined(separator: ", ")),
        ]
        if !plan.dataProducts.isEmpty { lines += ["", products(plan.dataProducts)] }
        if !plan.dependencies.isEmpty {
            let names = Dictionary(plan.dataProducts.map { ($0.id, $0.name) }) { first, _ in first }
            var table = Table("PARENT", "CHILD")
            for dependency in plan.dependencies {
                table.append(
                    names[dependency.parentID] ?? dependency.parentID.lowercasedString,
                    names[dependency.childID] ?? dependency.childID.lowercasedString)
            }
            lines += ["", table.text]
        }
        return lines.joined(separator: "\n")
    }

    static func products(_ products: [DataProduct]) -> String {
        var table = Table("ID", "NAME", "COMPUTE", "STATE", "EAGER", "RUN ID", "LINK")
        for product in products {
            table.append(
                product.id.lowercasedString, product.name, product.compute.rawValue, product.state.rawValue,
                product.eager ? "yes" : "no", product.runID?.lowercasedString ?? "-", product.link ?? "-")
        }
        return table.text
    }

    static func product(_ product: DataProduct) -> String {
        var table = Table("FIELD", "VALUE")
        for (field, value) in [
            ("id", product.id.lowercasedString), ("name", product.name), ("compute", product.compute.rawValue),
            ("version", product.version), ("eager", product.eager ? "yes" : "no"), ("state", product.state.rawValue),
            ("run_id", product.runID?.lowercasedString ?? "-"), ("link", product.link ?? "-"),
            ("passthrough", product.passthrough?.jsonText ?? "null"),
            ("passback", product.passback?.jsonText ?? "null"),
            ("extra", product.extra?.jsonText ?? "null"), ("modified_by", product.modifiedBy),
            ("modified_date", product.modifiedDate.rfc3339),
        ] {
            table.append(field, value)
        }
        return table.text
    }

    /// A mutation's minimal answer.
    static func changes(version: Int64, _ changed: [DataProduct]) -> String {
        let head = "version \(version): \(changed.count) product\(changed.count == 1 ? "" : "s") changed"
        return changed.isEmpty ? head : head + "\n\n" + products(changed)
    }

    static func runs(_ runs: [RunRecord]) -> String {
        guard !runs.isEmpty else { return "no runs" }
        var table = Table("RUN ID", "STATE", "ATTEMPTS", "QUEUED", "STARTED", "FINISHED", "EXTERNAL ID", "ERROR")
        for run in runs {
            table.append(
                run.runID.lowercasedString, run.state.rawValue, "\(run.attempts)", run.queuedAt.rfc3339,
                run.startedAt?.rfc3339 ?? "-", run.finishedAt?.rfc3339 ?? "-", run.externalID ?? "-",
                run.lastError ?? "-")
        }
        return table.text
    }

    static func search(_ page: SearchPage) -> String {
        var table = Table("DATASET", "MODIFIED", "EXTRA")
        for row in page.rows {
            table.append(row.datasetID.lowercasedString, row.modifiedDate.rfc3339, row.extra?.jsonText ?? "null")
        }
        let footer = page.nextPage.map { "more: --page \($0)" } ?? "end of results"
        return (page.rows.isEmpty ? "no plans match" : table.text) + "\n" + footer
    }
}
