import ArgumentParser
import FletcherCore
import FletcherPlatform
import FletcherPlugins
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Check a plan file offline, or read and change plans on a running server.",
        subcommands: [Check.self, Get.self, Post.self, Pause.self, Unpause.self, Search.self, Dot.self, Watch.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a plan JSON file (the body of POST /api/plan) as a new plan.",
            discussion: "Prints the error the API would answer with, or a summary of the plan. Exit status 1 on error."
        )

        @Argument(help: "The plan file; - reads standard input.")
        var file: String

        func run() throws {
            let bytes = Data(try readInput(file))
            do {
                let param = try JSONInput.decode(PlanParam.self, from: bytes)
                let context = EngineContext(
                    actor: "plan-check", now: Timestamp(microsecondsSinceEpoch: 0),
                    platforms: PlatformRegistry.builtIn.catalog())
                let delta = try Engine.execute(.post(param), datasetID: param.dataset.id, on: nil, context: context)
                print(
                    "OK: dataset \(param.dataset.id.lowercasedString): \(param.dataProducts.count) data products, "
                        + "\(param.dependencies.count) dependencies; \(delta.queued.count) would be queued at once")
            } catch {
                throw ValidationFailure("\(file): \(error.status) \(error.message)")
            }
        }
    }
}

/// A refusal printed as one line, exit status 1.
struct ValidationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
