import FletcherCore
import Foundation

/// Codecs between Fletcher's model and PostgreSQL text results and parameters.
enum PostgresRows {
    /// Microseconds since the epoch, exactly, from a timestamptz column.
    static func micros(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000000)::bigint"
    }

    /// A timestamptz, exactly, from microseconds since the epoch.
    static func timestamp(_ micros: String) -> String {
        "(timestamptz 'epoch' + \(micros) * interval '1 microsecond')"
    }

    /// A dataset's products per state, one column each in `State.allCases` order, written with every
    /// change from the cached plan's counts: the search shows and filters on them without counting.
    static func countColumn(_ state: State) -> String { "products_\(state.rawValue)" }

    static let countColumns = State.allCases.map(countColumn)

    /// The counts read back from `countColumns`.
    static func counts(_ values: [String?]) -> [State: Int] {
        var counts: [State: Int] = [:]
        for (state, value) in zip(State.allCases, values) { counts[state] = value.flatMap { Int($0) } }
        return counts
    }

    static let productColumns = productColumns(of: nil)

    /// The product columns `product(_:)` reads, qualified by `table` when given.
    static func productColumns(of table: String?) -> String {
        let p = table.map { $0 + "." } ?? ""
        return """
            \(p)id, \(p)compute, \(p)name, \(p)version, \(p)eager, \(p)passthrough::text, \(p)state, \(p)run_id, \
            \(p)link, \(p)passback::text, \(p)extra::text, \(p)modified_by, \(micros(p + "modified_date"))
            """
    }

    static func product(_ row: [String?]) throws -> DataProduct {
        DataProduct(
            id: try uuid(row[0]), compute: try value(Compute.self, row[1]), name: row[2] ?? "", version: row[3] ?? "",
            eager: row[4] == "t", passthrough: try json(row[5]), state: try value(State.self, row[6]),
            runID: try row[7].map { try uuid($0) }, link: row[8], passback: try json(row[9]), extra: try json(row[10]),
            modifiedBy: row[11] ?? "", modifiedDate: try timestamp(row[12]))
    }

    static let datasetColumns = "id, paused, extra::text, modified_by, \(micros("modified_date"))"

    static func dataset(_ row: [String?]) throws -> Dataset {
        Dataset(
            id: try uuid(row[0]), paused: row[1] == "t", extra: try json(row[2]), modifiedBy: row[3] ?? "",
            modifiedDate: try timestamp(row[4]))
    }

    static let dependencyColumns = "parent_id, child_id, extra::text, modified_by, \(micros("modified_date"))"

    static func dependency(_ row: [String?]) throws -> Dependency {
        Dependency(
            parentID: try uuid(row[0]), childID: try uuid(row[1]), extra: try json(row[2]), modifiedBy: row[3] ?? "",
            modifiedDate: try timestamp(row[4]))
    }

    static let productUpsert = """
        ON CONFLICT (dataset_id, id) DO UPDATE SET
            compute = excluded.compute, name = excluded.name, version = excluded.version,
            eager = excluded.eager, passthrough = excluded.passthrough, state = excluded.state,
            run_id = excluded.run_id, link = excluded.link, passback = excluded.passback,
            extra = excluded.extra, modified_by = excluded.modified_by, modified_date = excluded.modified_date
        """

    static let dependencyUpsert = """
        ON CONFLICT (dataset_id, parent_id, child_id) DO UPDATE SET
            extra = excluded.extra, modified_by = excluded.modified_by, modified_date = excluded.modified_date
        """

    /// Changed products as one JSON array parameter, unpacked server-side by `json_to_recordset`
    /// (parsed once as text, cheaper than `jsonb` for a document read once): one statement and
    /// one round trip however many rows changed.
    static func productsParameter(_ rows: [(position: Int, product: DataProduct)]) -> String {
        var writer = JSONWriter(capacity: rows.count * 320)
        writer.raw("[")
        for (offset, (position, product)) in rows.enumerated() {
            if offset > 0 { writer.raw(",") }
            writer.raw("{")
            writer.key("id")
            writer.uuid(product.id)
            writer.raw(",")
            writer.key("position")
            writer.int(Int64(position))
            writer.raw(",")
            writer.key("compute")
            writer.string(product.compute.rawValue)
            writer.raw(",")
            writer.key("name")
            writer.string(product.name)
            writer.raw(",")
            writer.key("version")
            writer.string(product.version)
            writer.raw(",")
            writer.key("eager")
            writer.bool(product.eager)
            writer.raw(",")
            writer.key("passthrough")
            writer.value(product.passthrough)
            writer.raw(",")
            writer.key("state")
            writer.string(product.state.rawValue)
            writer.raw(",")
            writer.key("run_id")
            writer.uuid(product.runID)
            writer.raw(",")
            writer.key("link")
            writer.string(product.link)
            writer.raw(",")
            writer.key("passback")
            writer.value(product.passback)
            writer.raw(",")
            writer.key("extra")
            writer.value(product.extra)
            writer.raw(",")
            writer.key("modified_by")
            writer.string(product.modifiedBy)
            writer.raw(",")
            writer.key("modified_us")
            writer.int(product.modifiedDate.microsecondsSinceEpoch)
            writer.raw("}")
        }
        writer.raw("]")
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    static func dependenciesParameter(_ rows: [(position: Int, dependency: Dependency)]) -> String {
        var writer = JSONWriter(capacity: rows.count * 200)
        writer.raw("[")
        for (offset, (position, dependency)) in rows.enumerated() {
            if offset > 0 { writer.raw(",") }
            writer.raw("{")
            writer.key("parent_id")
            writer.uuid(dependency.parentID)
            writer.raw(",")
            writer.key("child_id")
            writer.uuid(dependency.childID)
            writer.raw(",")
            writer.key("position")
            writer.int(Int64(position))
            writer.raw(",")
            writer.key("extra")
            writer.value(dependency.extra)
            writer.raw(",")
            writer.key("modified_by")
            writer.string(dependency.modifiedBy)
            writer.raw(",")
            writer.key("modified_us")
            writer.int(dependency.modifiedDate.microsecondsSinceEpoch)
            writer.raw("}")
        }
        writer.raw("]")
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    static func uuid(_ text: String?) throws -> UUID {
        guard let text, let id = UUID(text: text) else { throw corrupt("'\(text ?? "NULL")' is not a UUID") }
        return id
    }

    static func timestamp(_ text: String?) throws -> Timestamp {
        guard let text, let micros = Int64(text) else { throw corrupt("'\(text ?? "NULL")' is not a timestamp") }
        return Timestamp(microsecondsSinceEpoch: micros)
    }

    static func json(_ text: String?) throws -> JSONValue? {
        guard let text else { return nil }
        do {
            let value = try JSONValue(jsonText: text)
            return value == .null ? nil : value
        } catch {
            throw corrupt("stored JSON does not parse")
        }
    }

    static func value<T: RawRepresentable<String>>(_ type: T.Type, _ text: String?) throws -> T {
        guard let text, let value = T(rawValue: text) else { throw corrupt("'\(text ?? "NULL")' is not a \(T.self)") }
        return value
    }

    private static func corrupt(_ detail: String) -> PGError {
        PGError(sqlState: "XX001", message: "stored data is corrupt: \(detail)", isConnectionFailure: false)
    }
}
