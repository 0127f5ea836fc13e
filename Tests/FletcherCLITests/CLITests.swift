import FletcherMigrations
import FletcherTestSupport
import Foundation
import Testing

/// The `fletcher` binary, run as an operator runs it.
@Suite("fletcher command line")
struct CLITests {
    @Test func everyCommandHasHelp() async throws {
        for arguments in [["--help"], ["migrate", "--help"], ["hash-key", "--help"], ["plan", "check", "--help"]] {
            let result = try await fletcher(arguments)
            #expect(result.status == 0, "\(arguments)")
            #expect(result.stdout.contains("USAGE: fletcher"), "\(arguments)")
        }
    }

    @Test func migrateCreatesThenReportsUpToDate() async throws {
        let directory = try TemporaryDirectory()
        let url = "sqlite:\(directory.path("f.sqlite"))"
        let first = try await fletcher(["migrate"], environment: ["DATABASE_URL": url])
        #expect(first.status == 0)
        #expect(
            first.stdout == Migrations.sqlite.map { "Applied migration \($0.version) (\($0.name)).\n" }.joined())
        #expect(first.stdout.hasPrefix("Applied migration 1 (initial).\nApplied migration 2 (dispatch).\n"))
        let second = try await fletcher(["migrate", "--database-url", url])
        #expect(second.status == 0 && second.stdout == "Database is up to date.\n")
    }

    @Test func migrateRefusesADamagedFileInOneLineAndLeavesItAlone() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("broken.sqlite")
        let content = Data(repeating: 0x5A, count: 4096)
        try content.write(to: URL(fileURLWithPath: path))
        let result = try await fletcher(["migrate", "--database-url", "sqlite:\(path)"])
        #expect(result.status != 0)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("not an SQLite database, or damaged"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
    }

    @Test func migrateRefusesAnEditedMigrationInOneLine() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("f.sqlite")
        #expect(try await fletcher(["migrate", "--database-url", "sqlite:\(path)"]).status == 0)
        try await runChecked(["sqlite3", path, "UPDATE schema_migrations SET checksum = 'edited'"])
        let result = try await fletcher(["migrate", "--database-url", "sqlite:\(path)"])
        #expect(result.status != 0 && result.stderrLines.count == 1)
        #expect(result.stderr.contains("migration 1 (initial) was changed after it was applied"))
    }

    @Test func anUnknownDatabaseURLIsOneClearLine() async throws {
        let result = try await fletcher(["migrate", "--database-url", "mysql://x"])
        #expect(result.status != 0 && result.stderrLines.count == 1)
        #expect(result.stderr.contains("DATABASE_URL 'mysql://x' is not understood"))
    }

    @Test func hashKeyPrintsABcryptHash() async throws {
        let result = try await fletcher(["hash-key", "--key", "s3cret", "--cost", "4"])
        #expect(result.status == 0)
        let hash = try #require(result.stdout.split(separator: "\n").first?.split(separator: " ").last)
        #expect(result.stdout.hasPrefix("Key hash: $2b$04$") && hash.count == 60)
        #expect(try await fletcher(["hash-key", "--key", "s3cret", "--cost", "3"]).status != 0)
        #expect(try await fletcher(["hash-key"]).status != 0)
    }

    @Test func planCheckAcceptsAValidPlan() async throws {
        let directory = try TemporaryDirectory()
        let file = try write(directory, validPlan)
        let result = try await fletcher(["plan", "check", file])
        #expect(result.status == 0)
        #expect(result.stdout.contains("2 data products, 1 dependencies; 1 would be queued at once"))
    }

    @Test(arguments: [
        ("{\"dataset\": ", "Malformed JSON"),
        (#"{"dataset": {"id": "1"}, "data_products": [], "dependencies": []}"#, "400 Invalid value for 'dataset.id'"),
        (cyclicPlan, "422 Graph is cyclical"),
        (String(repeating: "[", count: 100), "400 JSON is nested deeper than 64 levels"),
    ])
    func planCheckPrintsTheAPIErrorInOneLine(content: String, message: String) async throws {
        let directory = try TemporaryDirectory()
        let result = try await fletcher(["plan", "check", try write(directory, content)])
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func planCheckOfAMissingFileIsOneLine() async throws {
        let result = try await fletcher(["plan", "check", "/nonexistent/plan.json"])
        #expect(result.status == 1 && result.stderrLines.count == 1)
        #expect(result.stderr.contains("cannot read the file"))
    }
}

private let a = UUID().uuidString.lowercased()
private let b = UUID().uuidString.lowercased()
private let validPlan = """
    {"dataset": {"id": "\(UUID().uuidString)", "extra": {"team": "gl"}},
     "data_products": [
       {"id": "\(a)", "compute": "cams", "name": "A", "version": "1", "eager": true},
       {"id": "\(b)", "compute": "dbxaas", "name": "B", "version": "1", "eager": true, "passthrough": {"job_id": 3}}],
     "dependencies": [{"parent_id": "\(a)", "child_id": "\(b)"}]}
    """
private let cyclicPlan = """
    {"dataset": {"id": "\(UUID().uuidString)"},
     "data_products": [
       {"id": "\(a)", "compute": "cams", "name": "A", "version": "1", "eager": true},
       {"id": "\(b)", "compute": "cams", "name": "B", "version": "1", "eager": true}],
     "dependencies": [{"parent_id": "\(a)", "child_id": "\(b)"}, {"parent_id": "\(b)", "child_id": "\(a)"}]}
    """
