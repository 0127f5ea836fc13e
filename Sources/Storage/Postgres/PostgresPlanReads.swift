import FletcherCore
import Foundation

/// The queries that read plans, shared by plain reads and the write transaction.
enum PostgresPlanReads {
    static func plan(_ datasetID: UUID, on connection: PGConnection) throws -> Plan? {
        let id = datasetID.lowercasedString
        guard
            let datasetRow = try connection.query(
                "SELECT \(PostgresRows.datasetColumns) FROM dataset WHERE id = $1", [id]
            ).first
        else { return nil }
        let products = try connection.query(
            "SELECT \(PostgresRows.productColumns) FROM data_product WHERE dataset_id = $1 ORDER BY position", [id]
        ).rows.map(PostgresRows.product)
        let dependencies = try connection.query(
            "SELECT \(PostgresRows.dependencyColumns) FROM dependency WHERE dataset_id = $1 ORDER BY position", [id]
        ).rows.map(PostgresRows.dependency)
        return Plan(dataset: try PostgresRows.dataset(datasetRow), dataProducts: products, dependencies: dependencies)
    }

    static func dataProduct(_ datasetID: UUID, _ productID: UUID, on connection: PGConnection) throws -> DataProduct? {
        try connection.query(
            "SELECT \(PostgresRows.productColumns) FROM data_product WHERE dataset_id = $1 AND id = $2",
            [datasetID.lowercasedString, productID.lowercasedString]
        ).first.map(PostgresRows.product)
    }

    static func search(_ term: String, page: Int, on connection: PGConnection) throws -> SearchPage {
        let size = SearchPage.pageSize
        let (offset, overflow) = page.multipliedReportingOverflow(by: size)
        guard page >= 0, !overflow else { return SearchPage(rows: [], nextPage: nil) }
        let columns = "id, extra::text, \(PostgresRows.micros("last_modified"))"
        let order = "ORDER BY last_modified DESC, id LIMIT $1 OFFSET $2"
        let limits = [String(size + 1), String(offset)]
        let rows: [[String?]]
        if term.isEmpty {
            rows = try connection.query("SELECT \(columns) FROM dataset \(order)", limits).rows
        } else {
            // LIKE with %, _ and \ escaped is a literal substring test the trigram indexes can serve.
            let pattern = "%" + likeEscaped(term.lowercased()) + "%"
            rows = try connection.query(
                "SELECT \(columns) FROM dataset WHERE id::text LIKE $3 OR search_extra LIKE $3 \(order)",
                limits + [pattern]
            ).rows
        }
        let found = try rows.map { row in
            SearchPage.Row(
                datasetID: try PostgresRows.uuid(row[0]), extra: try PostgresRows.json(row[1]),
                modifiedDate: try PostgresRows.timestamp(row[2]))
        }
        return SearchPage(rows: Array(found.prefix(size)), nextPage: found.count > size ? page + 1 : nil)
    }

    private static func likeEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
