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

    /// Changed products as one JSON array parameter, unpacked server-side by `jsonb_to_recordset`:
    /// one statement and one round trip however many rows changed.
    static func productsParameter(_ rows: [(position: Int, product: DataProduct)]) -> String {
        JSONValue.array(
            rows.map { position, product in
                .object([
                    "id": .string(product.id.lowercasedString), "position": .int(Int64(position)),
                    "compute": .string(product.compute.rawValue), "name": .string(product.name),
                    "version": .string(product.version), "eager": .bool(product.eager),
                    "passthrough": product.passthrough ?? .null, "state": .string(product.state.rawValue),
                    "run_id": product.runID.map { .string($0.lowercasedString) } ?? .null,
                    "link": product.link.map(JSONValue.string) ?? .null, "passback": product.passback ?? .null,
                    "extra": product.extra ?? .null, "modified_by": .string(product.modifiedBy),
                    "modified_us": .int(product.modifiedDate.microsecondsSinceEpoch),
                ])
            }
        ).jsonText
    }

    static func dependenciesParameter(_ rows: [(position: Int, dependency: Dependency)]) -> String {
        JSONValue.array(
            rows.map { position, dependency in
                .object([
                    "parent_id": .string(dependency.parentID.lowercasedString),
                    "child_id": .string(dependency.childID.lowercasedString), "position": .int(Int64(position)),
                    "extra": dependency.extra ?? .null, "modified_by": .string(dependency.modifiedBy),
                    "modified_us": .int(dependency.modifiedDate.microsecondsSinceEpoch),
                ])
            }
        ).jsonText
    }

    static func uuid(_ text: String?) throws -> UUID {
        guard let text, let id = UUID(uuidString: text) else { throw corrupt("'\(text ?? "NULL")' is not a UUID") }
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
