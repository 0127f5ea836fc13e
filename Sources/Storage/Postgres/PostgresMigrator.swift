import FletcherMigrations

/// Brings a PostgreSQL database to this build's schema. A session advisory lock makes instances
/// that start at once take turns, so each migration is applied exactly once.
enum PostgresMigrator {
    /// An arbitrary constant naming Fletcher's migration lock among the database's advisory locks.
    static let lockKey = "7423557300001"

    static func migrate(_ connection: PGConnection, migrations: [Migration] = Migrations.postgres) throws -> [Migration]
    {
        try connection.query("SELECT pg_advisory_lock($1::bigint)", [lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1::bigint)", [lockKey]) }
        let pending = try pendingMigrations(connection, migrations: migrations)
        // Created only once the schema is known to be empty or Fletcher's.
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        for migration in pending {
            try connection.execute("BEGIN")
            do {
                try connection.execute(migration.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [String(migration.version), migration.name, migration.checksum])
                try connection.execute("COMMIT")
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
        return pending
    }

    /// Migrations not yet applied; all of them in an empty schema. Only reads (a readiness check
    /// or a dry run must not change the database); refuses a schema that holds tables without
    /// Fletcher's bookkeeping, such as the Rust service's.
    static func pendingMigrations(_ connection: PGConnection, migrations: [Migration] = Migrations.postgres) throws
        -> [Migration]
    {
        let tables = try connection.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        ).rows.compactMap { $0[0] }
        guard tables.contains("schema_migrations") else {
            guard tables.isEmpty else { throw MigrationError.foreignDatabase(tables: tables) }
            return migrations
        }
        var recorded: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM schema_migrations").rows {
            if let version = row[0].flatMap(Int.init), let checksum = row[1] { recorded[version] = checksum }
        }
        return try Migrations.pending(migrations, recorded: recorded)
    }
}
