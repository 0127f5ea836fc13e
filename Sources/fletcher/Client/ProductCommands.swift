import ArgumentParser
import FletcherClient
import FletcherCore
import Foundation

struct ProductCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "product",
        abstract: "Read and change the data products of a plan on a running server.",
        subcommands: [Get.self, Update.self, Clear.self, Trigger.self, Disable.self, Runs.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one data product.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String
        @Argument(help: "The data product id.") var product: String

        func run() async throws {
            let path =
                "/api/data_product/\(try uuidArgument(dataset, "dataset"))/\(try uuidArgument(product, "product"))"
            try await server.show(DataProduct.self, "GET", path, render: Rendering.product)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report a product's state as a client would: running, success or failed (update role).",
            discussion: "Run id, link and passback are set exactly as given; those left out become null.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String
        @Argument(help: "The data product id.") var product: String
        @Argument(help: "running, success or failed.") var state: String
        @Option(help: "The run's id (a UUID).") var runID: String?
        @Option(help: "A link to the run.") var link: String?
        @Option(help: "JSON handed back by the run.") var passback: String?

        func run() async throws {
            var entry: [String: JSONValue] = [
                "id": .string(try uuidArgument(product, "product")), "state": .string(state),
                "run_id": try runID.map { .string(try uuidArgument($0, "--run-id")) } ?? .null,
                "link": link.map { .string($0) } ?? .null,
            ]
            if let passback {
                do {
                    entry["passback"] = try JSONValue(jsonText: passback)
                } catch {
                    throw ValidationError("--passback is not JSON: \(passback)")
                }
            }
            try await mutate(
                server, "PUT", "/api/data_product/\(try uuidArgument(dataset, "dataset"))/update", [.object(entry)])
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Clear products for a re-run: they and their descendants go back to waiting (update role).")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String
        @Argument(help: "One or more data product ids.") var products: [String]

        func run() async throws { try await mutateIDs(server, "PUT", dataset, "clear", products) }
    }

    struct Trigger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue waiting products whose parents have all succeeded, eager or not (update role).")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String
        @Argument(help: "One or more data product ids.") var products: [String]

        func run() async throws { try await mutateIDs(server, "PUT", dataset, "trigger", products) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable products: removed from the active plan for good (disable role).")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String
        @Argument(help: "One or more data product ids.") var products: [String]

        func run() async throws { try await mutateIDs(server, "DELETE", dataset, nil, products) }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a product's attempts on its compute platform, newest first.")
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String
        @Argument(help: "The data product id.") var product: String

        func run() async throws {
            let path =
                "/api/data_product/\(try uuidArgument(dataset, "dataset"))/\(try uuidArgument(product, "product"))/runs"
            try await server.show([RunRecord].self, "GET", path, render: Rendering.runs)
        }
    }
}

private func mutateIDs(_ server: ServerOptions, _ method: String, _ dataset: String, _ action: String?, _ ids: [String])
    async throws
{
    guard !ids.isEmpty else { throw ValidationError("name at least one data product id") }
    let body = try ids.map { JSONValue.string(try uuidArgument($0, "product")) }
    let path = "/api/data_product/\(try uuidArgument(dataset, "dataset"))" + (action.map { "/\($0)" } ?? "")
    try await mutate(server, method, path, body)
}

/// Sends a mutation: prints the changed products (the server's whole plan with `--json`).
private func mutate(_ server: ServerOptions, _ method: String, _ path: String, _ body: [JSONValue]) async throws {
    let bytes = Array(JSONValue.array(body).jsonText.utf8)
    let client = try server.client()
    if server.json { return printRaw(try await client.send(method, path, json: bytes)) }
    struct Minimal: Decodable { let version: Int64; let changes: [DataProduct] }
    let answer = try await client.send(Minimal.self, method, path, json: bytes, minimal: true)
    print(Rendering.changes(version: answer.version, answer.changes))
}
