import FletcherMigrations

/// Brings a SQLite database to this build's schema, in one `IMMEDIATE` transaction so two
/// processes starting at once apply each migration exactly once.
///
/// SQLite cannot change a table's constraints in place: a migration that must rebuilds the table
/// (create, copy, drop, rename), which needs foreign keys off while it runs. They are switched off
/// around the transaction and every reference is checked before it commits.
enum SQLiteMigrator {
    /// Applies what is missing and returns it; throws `MigrationError` without changing anything
    /// when the database is foreign, newer, has an edited migration, or dangling references.
    static func migrate(_ connection: SQLiteConnection, migrations: [Migration] = Migrations.sqlite) throws
        -> [Migration]
    {
        try connection.execute("PRAGMA foreign_keys = OFF")
        defer { try? connection.execute("PRAGMA foreign_keys = ON") }
        return try connection.transaction(immediate: true) {
            let pending = try pendingMigrations(connection, migrations: migrations)
            // Created only once the database is known to be empty or Fletcher's.
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    INTEGER NOT NULL PRIMARY KEY,
                    name       TEXT    NOT NULL,
                    checksum   TEXT    NOT NULL,
                    applied_at INTEGER NOT NULL
                ) STRICT
                """)
            for migration in pending {
                try connection.execute(migration.sql)
                try connection.statement(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, unixepoch())"
                ).bind(.integer(Int64(migration.version)), .text(migration.name), .text(migration.checksum)).run()
            }
            let dangling = try connection.statement("PRAGMA foreign_key_check")
            if try dangling.step() { throw MigrationError.danglingReferences(table: dangling.text(0)) }
            return pending
        }
    }

    /// Migrations not yet applied (empty when the schema is current; all of them on an empty
    /// database). Only reads; refuses a database that holds tables of something else.
    static func pendingMigrations(_ connection: SQLiteConnection, migrations: [Migration] = Migrations.sqlite)
        throws -> [Migration]
    {
        let tables = try userTables(connection)
        guard tables.contains("schema_migrations") else {
            guard tables.isEmpty else { throw MigrationError.foreignDatabase(tables: tables) }
            return migrations
        }
        var recorded: [Int: String] = [:]
        let rows = try connection.statement("SELECT version, checksum FROM schema_migrations")
        while try rows.step() {
            recorded[Int(rows.integer(0))] = rows.text(1)
        }
        return try Migrations.pending(migrations, recorded: recorded)
    }

    private static func userTables(_ connection: SQLiteConnection) throws -> [String] {
        let rows = try connection.statement(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
        var names: [String] = []
        while try rows.step() { names.append(rows.text(0)) }
        return names
    }
}
