import FletcherCore
import Foundation

/// The plan page (`docs/ui.md`): overview, the DAG, one page of the products table, and the plan's
/// JSON. Its size is bounded whatever the plan's: the table shows `ProductTable.pageSize` rows and
/// the JSON is inlined only when the whole plan fits on one page (else it is a link).
struct PlanPageView {
    struct Count {
        let state: String
        let count: Int
    }

    /// A column heading: a link that sorts by it, and `aria-sort` on the current one.
    struct Heading {
        let label: String
        let url: String
        let ariaSort: String?
    }

    let title: String
    let crumb: Crumb?
    var user: UserView? {
        didSet { for index in products.indices { products[index].selectable = user != nil } }
    }
    let datasetID: String
    /// The version shown: the events stream sends what changed after it.
    let version: Int64
    let pauseAction: String
    let pauseLabel: String
    let statusLabel: String
    let statusClass: String
    let modifiedBy: String
    let modifiedDate: String
    let counts: [Count]
    let productCount: Int
    let svg: String?
    let svgNotice: String
    let states: [StateOption]
    let headings: [Heading]
    var products: [ProductRowView]
    /// "Rows 101–200 of 10000", or how many products the filter matches.
    let rowsLabel: String
    let previous: String?
    let next: String?
    let pageSize = ProductTable.pageSize
    let json: String?
    let timeline: TimelineView
    /// Where the script asks for the timeline again: the same rows as the table shows.
    let timelineURL: String

    init(
        _ plan: PlanState, table: ProductTable, svg: String?, svgNotice: String, platforms: PlatformCatalog,
        runs: [RunRecord], now: Timestamp
    ) {
        let id = plan.dataset.id.lowercasedString
        let path = "/plan/\(id)"
        title = "Plan \(id)"
        crumb = Crumb(url: path, label: "Plan")
        datasetID = id
        version = plan.version
        pauseAction = plan.dataset.paused ? "unpause" : "pause"
        pauseLabel = plan.dataset.paused ? "Unpause" : "Pause"
        statusLabel = plan.dataset.paused ? "Paused" : "Active"
        statusClass = plan.dataset.paused ? "paused" : "active"
        let latest = plan.products.max { $0.modifiedDate < $1.modifiedDate }
        let newest = latest.map { $0.modifiedDate > plan.dataset.modifiedDate } ?? false
        modifiedBy = newest ? latest!.modifiedBy : plan.dataset.modifiedBy
        modifiedDate = (newest ? latest!.modifiedDate : plan.dataset.modifiedDate).description
        counts = State.allCases.map { Count(state: $0.rawValue, count: plan.counts[$0] ?? 0) }
        productCount = plan.products.count
        self.svg = svg
        self.svgNotice = svgNotice
        states = StateOption.choices(selected: table.state)
        headings = ProductTable.Column.allCases.map { column in
            Heading(
                label: column.label, url: path + table.sorted(by: column).query,
                ariaSort: table.sort == column ? (table.descending ? "descending" : "ascending") : nil)
        }
        let (rows, matching) = table.rows(of: plan.products)
        timeline = TimelineView(plan: plan, shown: rows, runs: runs, now: now)
        timelineURL = path + "/timeline" + table.query
        products = rows.map { ProductRowView($0, datasetID: plan.dataset.id, platforms: platforms) }
        rowsLabel =
            rows.isEmpty
            ? "No products on this page; \(matching) match."
            : "Rows \(rows.startIndex + 1)–\(rows.endIndex) of \(matching)"
        let pages = (matching + ProductTable.pageSize - 1) / ProductTable.pageSize
        previous = table.page > 0 && pages > 0 ? path + table.at(page: min(table.page, pages) - 1).query : nil
        next = table.page + 1 < pages ? path + table.at(page: table.page + 1).query : nil
        json =
            plan.products.count <= ProductTable.pageSize
            ? JSONHighlighter.html(try? JSONValue(jsonText: String(decoding: plan.json.bytes, as: UTF8.self))) : nil
    }
}
