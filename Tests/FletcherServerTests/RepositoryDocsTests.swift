import FletcherChildProcess
import Foundation
import Testing
import Yams

/// The repository stands alone: every document a comment, the README or a page of `docs/` names
/// exists in it, every section it cites (`docs/concepts.md` §3.8) is a heading of that page, and
/// the example alert rules parse and use only metrics Fletcher exports and documents.
@Suite("Documentation inside the repository")
struct RepositoryDocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Tracked text files, except the migrations already applied somewhere: their text is frozen
    /// by checksum (`migrations/README.md`).
    static func trackedFiles() throws -> [String] {
        let listing = try ChildProcess("git", ["-C", root.path, "ls-files"])
        listing.closeInput()
        let data = listing.collect(until: .now + .seconds(60)).output
        listing.wait()
        let frozen = [
            "migrations/sqlite/0001_", "migrations/sqlite/0002_", "migrations/sqlite/0003_",
            "migrations/postgres/0001_", "migrations/postgres/0002_", "migrations/postgres/0003_",
        ]
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { path in
            !frozen.contains { path.hasPrefix($0) }
                && [".swift", ".md", ".py", ".sql", ".yaml", ".yml", ".lua", ".env", ".service", ".mustache", ".js"]
                    .contains { path.hasSuffix($0) }
                || path.hasPrefix("scripts/") || path == ".ci/run"
        }
    }

    @Test func everyDocumentAndSectionNamedExists() throws {
        var missing: [String] = []
        let reference = /(?<path>[A-Za-z0-9_.\/-]*[A-Za-z0-9_-]\.md)`?,?\)?(?: (?<section>§ ?\d+(?:\.\d+)?))?/
        for path in try Self.trackedFiles() {
            let file = Self.root.appendingPathComponent(path)
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for match in line.matches(of: reference) {
                    let named = String(match.output.path)
                    guard let target = Self.resolve(named, from: file) else {
                        missing.append("\(path):\(number + 1): \(named) does not exist in the repository")
                        continue
                    }
                    if let section = match.output.section {
                        let number = section.drop { $0 == "§" || $0 == " " }
                        let headings =
                            (try? String(contentsOf: target, encoding: .utf8))?.split(separator: "\n")
                            .filter { $0.hasPrefix("#") } ?? []
                        if !headings.contains(where: { $0.contains(" \(number). ") || $0.contains(" \(number) ") }) {
                            missing.append("\(path):\(number): \(named) has no section \(section)")
                        }
                    }
                }
                if line.contains("../" + "shared") {
                    missing.append("\(path):\(number + 1): points outside the repository")
                }
            }
        }
        #expect(missing.isEmpty, "\(missing.joined(separator: "\n"))")
    }

    /// A name as written: relative to the file (Markdown links), to the repository root, or a
    /// page of `docs/` named alone.
    static func resolve(_ name: String, from file: URL) -> URL? {
        let candidates = [
            file.deletingLastPathComponent().appendingPathComponent(name), root.appendingPathComponent(name),
            root.appendingPathComponent("docs").appendingPathComponent(name),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.standardizedFileURL.path) }
    }

    @Test func theExampleAlertRulesParseAndUseOnlyDocumentedMetrics() throws {
        let rules = try String(contentsOf: Self.root.appendingPathComponent("config/alerts.yml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: rules) as? [String: Any])
        let groups = try #require(document["groups"] as? [[String: Any]])
        let alerts = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(alerts.count >= 5)
        var used: Set<String> = []
        for alert in alerts {
            let name = alert["alert"] as? String ?? "?"
            let expression = try #require(alert["expr"] as? String, "\(name) has an expression")
            #expect((alert["labels"] as? [String: Any])?["severity"] != nil, "\(name) has a severity")
            #expect((alert["annotations"] as? [String: Any])?["summary"] != nil, "\(name) has a summary")
            for match in expression.matches(of: /fletcher_[a-z_]+/) {
                used.insert(String(match.output).replacing(/_(sum|count|bucket)$/, with: ""))
            }
        }
        let documented = try Self.documentedMetrics()
        #expect(used.isSubset(of: documented), "not documented: \(used.subtracting(documented))")
        let exported = try Self.exportedMetrics()
        #expect(documented == exported, "documented \(documented.sorted()), exported \(exported.sorted())")
    }

    /// The metric names of the table in `docs/api.md` §6.
    static func documentedMetrics() throws -> Set<String> {
        let page = try String(contentsOf: root.appendingPathComponent("docs/api.md"), encoding: .utf8)
        let section = try #require(page.components(separatedBy: "## 6. Metrics").last)
        return Set(section.matches(of: /\| `(fletcher_[a-z_]+)/).map { String($0.output.1) })
    }

    /// The metric labels the code records.
    static func exportedMetrics() throws -> Set<String> {
        var names: Set<String> = []
        for path in try trackedFiles() where path.hasPrefix("Sources/") && path.hasSuffix(".swift") {
            let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            for match in text.matches(of: /label: "(fletcher_[a-z_]+)"/) { names.insert(String(match.output.1)) }
        }
        return names
    }
}
