import FletcherCore
import Foundation

/// Column codecs between Fletcher's model and SQLite rows. A value that cannot be read back is
/// reported as corruption rather than guessed at.
enum SQLiteRows {
    /// A dataset's products per state, one column each in `State.allCases` order, written with every
    /// change from the cached plan's counts: the search shows and filters on them without counting.
    static func countColumn(_ state: State) -> String { "products_\(state.rawValue)" }

    static let countColumns = State.allCases.map(countColumn)

    static let productColumns = productColumns(of: nil)

    /// The product columns `product(_:from:)` reads, qualified by `table` when given.
    static func productColumns(of table: String?) -> String {
        [
            "id", "compute", "name", "version", "eager", "passthrough", "state", "run_id", "link", "passback", "extra",
            "modified_by", "modified_date",
        ].map { (table.map { $0 + "." } ?? "") + $0 }.joined(separator: ", ")
    }

    static func product(_ row: SQLiteStatement, from column: Int32 = 0) throws -> DataProduct {
        let c = column
        return DataProduct(
            id: try uuid(row.text(c)),
            compute: try enumValue(Compute.self, row.text(c + 1)),
            name: row.text(c + 2),
            version: row.text(c + 3),
            eager: row.integer(c + 4) != 0,
            passthrough: try json(row.optionalText(c + 5)),
            state: try enumValue(State.self, row.text(c + 6)),
            runID: try row.optionalText(c + 7).map(uuid),
            link: row.optionalText(c + 8),
            passback: try json(row.optionalText(c + 9)),
            extra: try json(row.optionalText(c + 10)),
            modifiedBy: row.text(c + 11),
            modifiedDate: Timestamp(microsecondsSinceEpoch: row.integer(c + 12)))
    }

    static func dataset(_ row: SQLiteStatement) throws -> Dataset {
        Dataset(
            id: try uuid(row.text(0)),
            paused: row.integer(1) != 0,
            extra: try json(row.optionalText(2)),
            modifiedBy: row.text(3),
            modifiedDate: Timestamp(microsecondsSinceEpoch: row.integer(4)))
    }

    static func dependency(_ row: SQLiteStatement) throws -> Dependency {
        Dependency(
            parentID: try uuid(row.text(0)),
            childID: try uuid(row.text(1)),
            extra: try json(row.optionalText(2)),
            modifiedBy: row.text(3),
            modifiedDate: Timestamp(microsecondsSinceEpoch: row.integer(4)))
    }

    static func text(_ id: UUID) -> SQLiteValue { .text(id.lowercasedString) }
    static func text(_ id: UUID?) -> SQLiteValue { id.map(text) ?? .null }
    static func text(_ value: String?) -> SQLiteValue { value.map(SQLiteValue.text) ?? .null }
    static func json(_ value: JSONValue?) -> SQLiteValue { value.map { .text($0.jsonText) } ?? .null }
    static func integer(_ flag: Bool) -> SQLiteValue { .integer(flag ? 1 : 0) }
    static func integer(_ timestamp: Timestamp) -> SQLiteValue { .integer(timestamp.microsecondsSinceEpoch) }

    static func uuid(_ text: String) throws -> UUID {
        guard let id = UUID(text: text) else { throw corrupt("'\(text)' is not a UUID") }
        return id
    }

    static func json(_ text: String?) throws -> JSONValue? {
        guard let text else { return nil }
        do {
            return try JSONValue(jsonText: text)
        } catch {
            throw corrupt("stored JSON does not parse")
        }
    }

    static func enumValue<T: RawRepresentable<String>>(_ type: T.Type, _ text: String) throws -> T {
        guard let value = T(rawValue: text) else { throw corrupt("'\(text)' is not a valid \(T.self)") }
        return value
    }

    private static func corrupt(_ detail: String) -> SQLiteError {
        SQLiteError(code: 11, message: "database is corrupt: \(detail)")  // SQLITE_CORRUPT
    }
}
