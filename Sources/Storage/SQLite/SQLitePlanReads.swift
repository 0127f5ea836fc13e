import FletcherCore
import Foundation

/// The queries that read plans, shared by the reader connection and the write transaction.
enum SQLitePlanReads {
    static func plan(_ datasetID: UUID, on connection: SQLiteConnection) throws -> Plan? {
        let id = SQLiteRows.text(datasetID)
        let datasetRow = try connection.statement(
            "SELECT id, paused, extra, modified_by, modified_date FROM dataset WHERE id = ?"
        ).bind(id)
        guard try datasetRow.step() else { return nil }
        let dataset = try SQLiteRows.dataset(datasetRow)

        var products: [DataProduct] = []
        let productRows = try connection.statement(
            "SELECT \(SQLiteRows.productColumns) FROM data_product WHERE dataset_id = ? ORDER BY position"
        ).bind(id)
        while try productRows.step() { products.append(try SQLiteRows.product(productRows)) }

        var dependencies: [Dependency] = []
        let dependencyRows = try connection.statement(
            """
            SELECT parent_id, child_id, extra, modified_by, modified_date
            FROM dependency WHERE dataset_id = ? ORDER BY position
            """
        ).bind(id)
        while try dependencyRows.step() { dependencies.append(try SQLiteRows.dependency(dependencyRows)) }

        return Plan(dataset: dataset, dataProducts: products, dependencies: dependencies)
    }

    static func dataProduct(_ datasetID: UUID, _ productID: UUID, on connection: SQLiteConnection) throws
        -> DataProduct?
    {
        let row = try connection.statement(
            "SELECT \(SQLiteRows.productColumns) FROM data_product WHERE dataset_id = ? AND id = ?"
        ).bind(SQLiteRows.text(datasetID), SQLiteRows.text(productID))
        return try row.step() ? SQLiteRows.product(row) : nil
    }

    static func search(_ term: String, state: State?, page: Int, on connection: SQLiteConnection) throws
        -> SearchPage
    {
        let size = SearchPage.pageSize
        let (offset, overflow) = page.multipliedReportingOverflow(by: size)
        guard page >= 0, !overflow else { return SearchPage(rows: [], nextPage: nil) }
        // Each state's column has a partial index in the listing's order (migration 4).
        let stateFilter = state.map { "AND \(SQLiteRows.countColumn($0)) > 0" } ?? ""
        // instr() is a literal substring test: %, _ and \ in the term match themselves.
        let rows = try connection.statement(
            """
            SELECT id, extra, last_modified, paused, \(SQLiteRows.countColumns.joined(separator: ", ")) FROM dataset
            WHERE (instr(id, ?1) > 0 OR instr(search_extra, ?1) > 0) \(stateFilter)
            ORDER BY last_modified DESC, id
            LIMIT ?2 OFFSET ?3
            """
        ).bind(.text(term.lowercased()), .integer(Int64(size + 1)), .integer(Int64(offset)))
        var found: [SearchPage.Row] = []
        while try rows.step() {
            found.append(
                SearchPage.Row(
                    datasetID: try SQLiteRows.uuid(rows.text(0)), extra: try SQLiteRows.json(rows.optionalText(1)),
                    modifiedDate: Timestamp(microsecondsSinceEpoch: rows.integer(2)), paused: rows.integer(3) != 0,
                    counts: Dictionary(
                        uniqueKeysWithValues: State.allCases.enumerated().map { ($1, Int(rows.integer(Int32($0 + 4)))) }
                    )))
        }
        let hasMore = found.count > size
        return SearchPage(rows: Array(found.prefix(size)), nextPage: hasMore ? page + 1 : nil)
    }
}
