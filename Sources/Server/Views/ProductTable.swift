import FletcherCore
import Foundation

/// The plan page's products table, filtered, sorted and paged on the server (`docs/ui.md`, plan
/// page): a page holds at most `pageSize` rows however big the plan, and the view it shows is in
/// the URL (`?state=failed&sort=name&order=desc&page=2`), so it survives a reload and can be shared.
/// Unknown values fall back to the defaults: a hand-edited link shows the whole table, not an error.
struct ProductTable: Sendable, Equatable {
    enum Column: String, CaseIterable, Sendable {
        case id, compute, name, version, eager, state
        case runID = "run_id"
        case modified

        var label: String {
            switch self {
            case .id: "ID"
            case .compute: "Compute"
            case .name: "Name"
            case .version: "Version"
            case .eager: "Eager"
            case .state: "State"
            case .runID: "Run ID"
            case .modified: "Last update"
            }
        }

        fileprivate func ascending(_ a: DataProduct, _ b: DataProduct) -> Bool {
            switch self {
            case .id: precedes(a.id, b.id)
            case .compute: a.compute.rawValue < b.compute.rawValue
            case .name: a.name < b.name
            case .version: a.version < b.version
            case .eager: !a.eager && b.eager
            case .state: a.state.rawValue < b.state.rawValue
            case .runID: b.runID.map { b in a.runID.map { precedes($0, b) } ?? true } ?? false
            case .modified: a.modifiedDate < b.modifiedDate
            }
        }
    }

    static let pageSize = 100

    /// The order of the lowercase text, without making the text: hex digits sort as their bytes.
    private static func precedes(_ a: UUID, _ b: UUID) -> Bool {
        withUnsafeBytes(of: a.uuid) { a in withUnsafeBytes(of: b.uuid) { b in a.lexicographicallyPrecedes(b) } }
    }

    /// Only products in this state; nil for all.
    var state: State?
    /// The column sorted by; nil for plan order.
    var sort: Column?
    var descending = false
    /// Zero-based.
    var page = 0

    init(state: State? = nil, sort: Column? = nil, descending: Bool = false, page: Int = 0) {
        self.state = state
        self.sort = sort
        self.descending = descending
        self.page = page
    }

    /// The view a request's query names; `parameter` looks up one query parameter.
    init(query parameter: (String) -> String?) {
        state = parameter("state").flatMap(State.init(rawValue:))
        sort = parameter("sort").flatMap(Column.init(rawValue:))
        descending = parameter("order") == "desc"
        page = max(parameter("page").flatMap { Int($0) } ?? 0, 0)
    }

    /// One page of `products`, and how many products the filter lets through.
    func rows(of products: [DataProduct]) -> (rows: ArraySlice<DataProduct>, matching: Int) {
        var shown = state.map { state in products.filter { $0.state == state } } ?? products
        if let sort {
            // Ties keep plan order, so paging through a sorted table never skips or repeats a row.
            let positions = shown.indices.sorted { a, b in
                if sort.ascending(shown[a], shown[b]) { return !descending }
                if sort.ascending(shown[b], shown[a]) { return descending }
                return a < b
            }
            shown = positions.map { shown[$0] }
        }
        let start = min(page * Self.pageSize, shown.count)
        return (shown[start..<min(start + Self.pageSize, shown.count)], shown.count)
    }

    /// The query string of this view (with a leading `?`), or "" for the default view.
    var query: String {
        var items: [String] = []
        if let state { items.append("state=\(state.rawValue)") }
        if let sort { items.append("sort=\(sort.rawValue)") }
        if descending { items.append("order=desc") }
        if page > 0 { items.append("page=\(page)") }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    /// This view sorted by `column`: ascending first, descending when already ascending by it.
    func sorted(by column: Column) -> ProductTable {
        ProductTable(state: state, sort: column, descending: sort == column && !descending, page: 0)
    }

    func at(page: Int) -> ProductTable {
        ProductTable(state: state, sort: sort, descending: descending, page: page)
    }
}
