import Foundation

/// The Rust service's database, built from its migration and filled with plans in every state,
/// for `fletcher import-upstream`. Each value is written once here, as SQL literal text, and both
/// the rows inserted and the JSON the API must answer are derived from it.
enum RustServiceFixture {
    /// The Rust service's schema, as its sqlx migration creates it.
    static let schema = """
        CREATE TABLE _sqlx_migrations (
            version bigint PRIMARY KEY, description text NOT NULL, installed_on timestamptz NOT NULL DEFAULT now(),
            success boolean NOT NULL, checksum bytea NOT NULL, execution_time bigint NOT NULL);
        INSERT INTO _sqlx_migrations VALUES (20230101000000, 'init', now(), true, '\\x00', 1);
        CREATE TYPE compute AS ENUM ('cams', 'dbxaas');
        CREATE TYPE state AS ENUM ('waiting', 'queued', 'running', 'success', 'failed', 'disabled');
        CREATE TABLE dataset (
            id uuid PRIMARY KEY, paused boolean NOT NULL, extra jsonb,
            modified_by text NOT NULL, modified_date timestamptz NOT NULL);
        CREATE TABLE data_product (
            dataset_id uuid NOT NULL REFERENCES dataset (id), id uuid NOT NULL, compute compute NOT NULL,
            name text NOT NULL, version text NOT NULL, eager boolean NOT NULL, passthrough jsonb,
            state state NOT NULL, run_id uuid, link text, passback jsonb, extra jsonb,
            modified_by text NOT NULL, modified_date timestamptz NOT NULL,
            PRIMARY KEY (dataset_id, id));
        CREATE TABLE dependency (
            dataset_id uuid NOT NULL, parent_id uuid NOT NULL, child_id uuid NOT NULL, extra jsonb,
            modified_by text NOT NULL, modified_date timestamptz NOT NULL,
            PRIMARY KEY (dataset_id, parent_id, child_id),
            FOREIGN KEY (dataset_id, parent_id) REFERENCES data_product (dataset_id, id),
            FOREIGN KEY (dataset_id, child_id) REFERENCES data_product (dataset_id, id));
        """

    /// One row: column name → SQL literal (`NULL` for null), plus how the API shows each value.
    struct Row {
        let columns: [(name: String, literal: String, served: Any)]

        var sqlColumns: String { columns.map(\.name).joined(separator: ", ") }
        var sqlValues: String { columns.map(\.literal).joined(separator: ", ") }
        var servedJSON: [String: Any] {
            Dictionary(uniqueKeysWithValues: columns.filter { $0.name != "dataset_id" }.map { ($0.name, $0.served) })
        }
    }

    static func text(_ value: String?) -> (String, Any) {
        guard let value else { return ("NULL", NSNull()) }
        return ("'" + value.replacingOccurrences(of: "'", with: "''") + "'", value)
    }

    static func json(_ value: String?) -> (String, Any) {
        guard let value else { return ("NULL", NSNull()) }
        let served = try! JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        return (text(value).0 + "::jsonb", served)
    }

    /// A timestamp written with any offset, served in UTC with six fractional digits.
    static func time(_ value: String, served: String) -> (String, Any) {
        (text(value).0 + "::timestamptz", served)
    }

    static func dataset(id: UUID, paused: Bool, extra: String?, by: String, at: (String, Any)) -> Row {
        Row(columns: [
            ("id", text(id.lowercased).0, id.lowercased), ("paused", "\(paused)", paused),
            ("extra", json(extra).0, json(extra).1), ("modified_by", text(by).0, by), ("modified_date", at.0, at.1),
        ])
    }

    struct Product {
        var id = UUID()
        var compute = "cams"
        var name: String
        var version = "1.0"
        var eager = true
        var passthrough: String?
        var state = "waiting"
        var runID: UUID?
        var link: String?
        var passback: String?
        var extra: String?
        var by = "team-a"
        var at = time("2024-03-05T10:11:12.123456Z", served: "2024-03-05T10:11:12.123456Z")

        func row(in dataset: UUID) -> Row {
            Row(columns: [
                ("dataset_id", text(dataset.lowercased).0, ""), ("id", text(id.lowercased).0, id.lowercased),
                ("compute", text(compute).0, compute), ("name", text(name).0, name),
                ("version", text(version).0, version),
                ("eager", "\(eager)", eager), ("passthrough", json(passthrough).0, json(passthrough).1),
                ("state", text(state).0, state), ("run_id", text(runID?.lowercased).0, text(runID?.lowercased).1),
                ("link", text(link).0, text(link).1), ("passback", json(passback).0, json(passback).1),
                ("extra", json(extra).0, json(extra).1), ("modified_by", text(by).0, by), ("modified_date", at.0, at.1),
            ])
        }
    }

    static func dependency(_ dataset: UUID, _ parent: UUID, _ child: UUID, extra: String? = nil) -> Row {
        Row(columns: [
            ("dataset_id", text(dataset.lowercased).0, ""),
            ("parent_id", text(parent.lowercased).0, parent.lowercased),
            ("child_id", text(child.lowercased).0, child.lowercased), ("extra", json(extra).0, json(extra).1),
            ("modified_by", text("team-b").0, "team-b"),
            (
                "modified_date", time("2024-03-06 01:02:03.000001+02", served: "2024-03-05T23:02:03.000001Z").0,
                "2024-03-05T23:02:03.000001Z"
            ),
        ])
    }

    static func insert(_ table: String, _ rows: [Row]) -> String {
        rows.map { "INSERT INTO \(table) (\($0.sqlColumns)) VALUES (\($0.sqlValues));" }.joined(separator: "\n")
    }
}

extension UUID {
    var lowercased: String { uuidString.lowercased() }
}
