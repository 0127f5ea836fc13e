import ArgumentParser
import FletcherClient
import FletcherCore
import Foundation

extension PlanCommand {
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a plan: its dataset, products and dependencies.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String

        func run() async throws {
            let path = "/api/plan/\(try uuidArgument(dataset, "dataset"))"
            try await server.show(Plan.self, "GET", path, render: Rendering.plan)
        }
    }

    struct Post: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a plan (the body of POST /api/plan) from a file; - reads standard input.",
            discussion: "Needs the publish role. `fletcher plan check` validates a file without a server.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The plan file; - reads standard input.") var file: String

        func run() async throws {
            let body = try readInput(file)
            try await server.show(Plan.self, "POST", "/api/plan", json: body, render: Rendering.plan)
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pause a dataset: nothing new is queued or dispatched until it is unpaused (pause role).")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String

        func run() async throws { try await setPaused(server, dataset, "pause") }
    }

    struct Unpause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Unpause a dataset: what became ready meanwhile is queued (pause role).")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String

        func run() async throws { try await setPaused(server, dataset, "unpause") }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find plans whose dataset id or extra contains a term (case-insensitive), newest first.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The term; none lists every plan.") var term: String = ""
        @Option(help: "The page, from 0 (50 plans a page).") var page = 0

        func validate() throws {
            guard page >= 0 else { throw ValidationError("--page counts from 0") }
        }

        func run() async throws {
            var query = URLComponents()
            query.queryItems = [
                URLQueryItem(name: "search_by", value: term), URLQueryItem(name: "page", value: "\(page)"),
            ]
            let path = "/api/plan/search?" + (query.percentEncodedQuery ?? "")
            try await server.show(SearchPage.self, "GET", path, render: Rendering.search)
        }
    }

    struct Dot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a plan's DAG as Graphviz DOT (pipe it to `dot -Tsvg`).")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String

        func run() async throws {
            let path = "/api/plan/\(try uuidArgument(dataset, "dataset"))/dot"
            printRaw(try await server.client().send("GET", path, accept: "text/vnd.graphviz"))
        }
    }
}

private func setPaused(_ server: ServerOptions, _ dataset: String, _ action: String) async throws {
    let path = "/api/plan/\(try uuidArgument(dataset, "dataset"))/\(action)"
    let client = try server.client()
    if server.json { return printRaw(try await client.send("PUT", path)) }
    struct Minimal: Decodable { let version: Int64 }
    let answer = try await client.send(Minimal.self, "PUT", path, minimal: true)
    print("dataset \(dataset.lowercased()) \(action)d (version \(answer.version))")
}

/// A file's bytes, or standard input's for `-`.
func readInput(_ file: String) throws -> [UInt8] {
    do {
        return Array(
            file == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file)))
    } catch {
        throw ValidationFailure("\(file): cannot read the file (\((error as NSError).localizedDescription))")
    }
}
