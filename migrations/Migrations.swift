/// One schema change, embedded in the binary.
public struct Migration: Sendable, Hashable {
    /// Position in the sequence, starting at 1; recorded in `schema_migrations`.
    public let version: Int
    public let name: String
    public let sql: String

    init(version: Int, name: String, bytes: [UInt8]) {
        self.version = version
        self.name = name
        self.sql = String(decoding: bytes, as: UTF8.self)
    }

    /// Identifies the migration's exact text, so an edited, already-applied migration is caught
    /// at start-up instead of silently diverging schemas. FNV-1a (64 bit): this guards against
    /// accidents, not adversaries.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

public enum Migrations {
    public static let sqlite: [Migration] = [
        Migration(version: 1, name: "initial", bytes: PackageResources._001_initial_sqlite_sql),
        Migration(version: 2, name: "dispatch", bytes: PackageResources._002_dispatch_sqlite_sql),
        Migration(version: 3, name: "open_compute", bytes: PackageResources._003_open_compute_sqlite_sql),
        Migration(version: 4, name: "state_counts", bytes: PackageResources._004_state_counts_sqlite_sql),
        Migration(version: 5, name: "revoked_token", bytes: PackageResources._005_revoked_token_sqlite_sql),
    ]

    public static let postgres: [Migration] = [
        Migration(version: 1, name: "initial", bytes: PackageResources._001_initial_postgres_sql),
        Migration(version: 2, name: "dispatch", bytes: PackageResources._002_dispatch_postgres_sql),
        Migration(version: 3, name: "open_compute", bytes: PackageResources._003_open_compute_postgres_sql),
        Migration(version: 4, name: "change_log", bytes: PackageResources._004_change_log_postgres_sql),
        Migration(version: 5, name: "state_counts", bytes: PackageResources._005_state_counts_postgres_sql),
        Migration(version: 6, name: "revoked_token", bytes: PackageResources._006_revoked_token_postgres_sql),
        Migration(version: 7, name: "search_table", bytes: PackageResources._007_search_table_postgres_sql),
        Migration(
            version: 8, name: "dependency_check", bytes: PackageResources._008_dependency_check_postgres_sql),
    ]
}

/// Why a database cannot be brought to this build's schema. Each is a start-up error with one
/// clear line; nothing in the database is changed when one is raised.
public enum MigrationError: Error, CustomStringConvertible, Sendable {
    case changedAfterApplied(version: Int, name: String, recorded: String, embedded: String)
    case newerSchema(found: Int, known: Int)
    case foreignDatabase(tables: [String])
    case danglingReferences(table: String)

    public var description: String {
        switch self {
        case .changedAfterApplied(let version, let name, let recorded, let embedded):
            "migration \(version) (\(name)) was changed after it was applied: the database records checksum "
                + "\(recorded), this build embeds \(embedded); restore the original file and add a new migration instead"
        case .newerSchema(let found, let known):
            "the database schema is at version \(found), newer than this build of Fletcher knows (\(known)): "
                + "run a newer Fletcher"
        case .foreignDatabase(let tables):
            "the database is not a Fletcher database: it has tables (\(tables.joined(separator: ", "))) "
                + "but no schema_migrations"
        case .danglingReferences(let table):
            "the database is inconsistent: table \(table) has rows whose references are missing; "
                + "no migration was applied"
        }
    }
}

extension Migrations {
    /// Checks recorded migrations against `known` and returns the ones still to apply.
    /// `recorded` maps applied versions to their checksums.
    public static func pending(_ known: [Migration], recorded: [Int: String]) throws -> [Migration] {
        let latest = known.last?.version ?? 0
        if let newest = recorded.keys.max(), newest > latest {
            throw MigrationError.newerSchema(found: newest, known: latest)
        }
        for migration in known {
            if let checksum = recorded[migration.version], checksum != migration.checksum {
                throw MigrationError.changedAfterApplied(
                    version: migration.version, name: migration.name, recorded: checksum, embedded: migration.checksum)
            }
        }
        return known.filter { recorded[$0.version] == nil }
    }
}
