import FletcherCore
import Foundation

/// The values the templates show, built from the core's model. Mustache escapes every `{{value}}`;
/// the few `{{{raw}}}` places take HTML this code built and escaped itself (Graphviz's SVG, the
/// highlighted JSON).
/// Who is logged in, and the CSRF token their forms carry.
struct UserView {
    let service: String
    let csrf: String
}

/// A product named on a page (relatives, the products a confirmation lists), linked to its page.
struct ProductItem {
    let datasetID: String
    let id: String
    let name: String
    let state: String

    init(_ product: DataProduct, datasetID: String) {
        self.datasetID = datasetID
        id = product.id.lowercasedString
        name = product.name
        state = product.state.rawValue
    }
}

struct Crumb {
    let url: String
    let label: String
}

struct SearchRowsView {
    struct Row {
        let id: String
        let shortID: String
        let modified: String
        let extra: String
        let statusLabel: String
        let statusClass: String
        let bar: StateBar
    }

    let query: String
    let rows: [Row]
    /// The plain "More" link (`/?q=…&state=…&page=…`), and the fragment the script loads instead.
    let next: String?
    let fragment: String?
    /// What the empty table says: the term, and the state filter when one is chosen.
    let emptyText: String

    init(_ page: SearchPage, query: String, state: State?) {
        self.query = query
        rows = page.rows.map {
            Row(
                id: $0.datasetID.lowercasedString, shortID: String($0.datasetID.lowercasedString.prefix(8)),
                modified: $0.modifiedDate.description, extra: $0.extra?.jsonText ?? "",
                statusLabel: $0.paused ? "Paused" : "Active", statusClass: $0.paused ? "paused" : "active",
                bar: StateBar($0.counts))
        }
        let term = Self.encoded(query)
        let filter = state.map { "&state=\($0.rawValue)" } ?? ""
        next = page.nextPage.map { "/?q=\(term)\(filter)&page=\($0)" }
        fragment = page.nextPage.map { "/component/plan_search?search_by=\(term)\(filter)&page=\($0)" }
        emptyText = "No plans match '\(query)'" + (state.map { " with a product in state \($0.rawValue)" } ?? "")
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "+", "=", "#"])) ?? ""
    }
}

/// A plan's products per state as one bar: a segment per state present, its width by its count
/// (SVG attributes, since the CSP allows no inline styles), with the counts as text for screen
/// readers and on hover.
struct StateBar {
    struct Segment {
        let state: String
        let count: Int
        let x: String
        let width: String
        let fill: String
    }

    static let width = 120.0

    let segments: [Segment]
    /// "6 waiting, 2 failed", or "no products".
    let label: String

    init(_ counts: [State: Int]) {
        let present = State.allCases.compactMap { state in counts[state].flatMap { $0 > 0 ? (state, $0) : nil } }
        let total = Double(present.reduce(0) { $0 + $1.1 })
        var x = 0.0
        segments = present.map { state, count in
            let width = Double(count) / total * Self.width
            defer { x += width }
            return Segment(
                state: state.rawValue, count: count, x: Self.format(x), width: Self.format(width),
                fill: PlanDOT.fill(state))
        }
        label = present.isEmpty ? "no products" : present.map { "\($1) \($0.rawValue)" }.joined(separator: ", ")
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}

struct SearchPageView {
    let title = "Search plans"
    let crumb: Crumb? = nil
    var user: UserView?
    /// The page shows the same rows the fragment serves.
    let results: SearchRowsView
    let states: [StateOption]

    init(results: SearchRowsView, state: State?) {
        self.results = results
        states = StateOption.choices(selected: state)
    }
}

/// A choice of the state filters (search page, products table).
struct StateOption {
    let value: String
    let selected: Bool

    static func choices(selected: State?) -> [StateOption] {
        State.allCases.map { StateOption(value: $0.rawValue, selected: $0 == selected) }
    }
}

struct ProductRowView {
    let datasetID: String
    let id: String
    let shortID: String
    let compute: String
    let name: String
    let version: String
    let eager: String
    let state: String
    let runID: String
    let link: String?
    let modified: String
    /// A checkbox to act on the product (when someone is logged in).
    var selectable = false

    init(_ product: DataProduct, datasetID: UUID, platforms: PlatformCatalog) {
        self.datasetID = datasetID.lowercasedString
        id = product.id.lowercasedString
        shortID = String(id.prefix(8))
        compute = platforms.displayName(product.compute)
        name = product.name
        version = product.version
        eager = product.eager ? "yes" : "no"
        state = product.state.rawValue
        runID = product.runID?.lowercasedString ?? ""
        link = safeLink(product.link)
        modified = product.modifiedDate.description
    }
}

struct ProductPageView {
    struct RunRow {
        let attempt: Int
        let runID: String
        let state: String
        let queued: String
        let started: String
        let finished: String
        let duration: String
        let link: String?
        let error: String
    }

    let title: String
    let crumb: Crumb?
    var user: UserView?
    let datasetID: String
    let id: String
    let name: String
    let state: String
    let compute: String
    let version: String
    let eager: String
    let runID: String
    let link: String?
    let modifiedBy: String
    let modified: String
    let parents: [ProductItem]
    let children: [ProductItem]
    let passthrough: String
    let passback: String
    let extra: String
    let runs: [RunRow]

    init(_ product: DataProduct, in plan: Plan, runs: [RunRecord], platforms: PlatformCatalog) {
        let datasetID = plan.dataset.id.lowercasedString
        title = product.name
        crumb = Crumb(url: "/plan/\(datasetID)", label: "Plan")
        self.datasetID = datasetID
        id = product.id.lowercasedString
        name = product.name
        state = product.state.rawValue
        compute = platforms.displayName(product.compute)
        version = product.version
        eager = product.eager ? "yes" : "no"
        runID = product.runID?.lowercasedString ?? ""
        link = safeLink(product.link)
        modifiedBy = product.modifiedBy
        modified = product.modifiedDate.description
        let byID = Dictionary(uniqueKeysWithValues: plan.dataProducts.map { ($0.id, $0) })
        func relative(_ id: UUID) -> ProductItem? { byID[id].map { ProductItem($0, datasetID: datasetID) } }
        parents = plan.dependencies.filter { $0.childID == product.id }.compactMap { relative($0.parentID) }
        children = plan.dependencies.filter { $0.parentID == product.id }.compactMap { relative($0.childID) }
        passthrough = JSONHighlighter.html(product.passthrough)
        passback = JSONHighlighter.html(product.passback)
        extra = JSONHighlighter.html(product.extra)
        let count = runs.count
        self.runs = runs.enumerated().map { index, run in
            let duration = run.startedAt.flatMap { started in
                run.finishedAt.map {
                    DurationText.of(seconds: Double($0.microsecondsSinceEpoch - started.microsecondsSinceEpoch) / 1e6)
                }
            }
            return RunRow(
                attempt: count - index, runID: run.runID.lowercasedString, state: run.state.rawValue,
                queued: run.queuedAt.description, started: run.startedAt?.description ?? "",
                finished: run.finishedAt?.description ?? "", duration: duration ?? "", link: safeLink(run.link),
                error: run.lastError ?? "")
        }
    }
}

/// A link renders only when it is an absolute http(s) URL (`docs/ui.md`): no `javascript:`, no `data:`.
func safeLink(_ text: String?) -> String? {
    guard let text, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
        scheme == "http" || scheme == "https",
        url.host?.isEmpty == false
    else { return nil }
    return text
}
