import ArgumentParser
import FletcherMigrations
import FletcherServer

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the database migrations this build embeds to DATABASE_URL.",
        discussion: """
            Safe to run repeatedly and from several processes at once. Refuses, changing nothing, a database \
            that is not Fletcher's, one newer than this build, or one whose applied migrations were edited.
            """
    )

    @Option(help: "The database (default: $DATABASE_URL, then .env, then \(DatabaseURL.defaultValue)).")
    var databaseURL: String?

    @Option(help: "Read configuration variables from this file instead of ./.env.")
    var envFile: String?

    func run() async throws {
        let environment = try Environment.load(envFile: envFile)
        let url = try DatabaseURL(parsing: databaseURL ?? environment["DATABASE_URL"] ?? DatabaseURL.defaultValue)
        let applied = try await OpenedStore.open(url).migrate()
        if applied.isEmpty {
            print("Database is up to date.")
        } else {
            for migration in applied { print("Applied migration \(migration.version) (\(migration.name)).") }
        }
    }
}
