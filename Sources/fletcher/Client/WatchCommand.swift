import ArgumentParser
import FletcherClient
import FletcherCore
import Foundation
import Synchronization

extension PlanCommand {
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow a plan's changes as they happen (its events stream), until interrupted.",
            discussion: """
                Prints one line per product change: time, version, product, state, run id and link. \
                States are coloured on a terminal (not when piped, or with NO_COLOR set). When the \
                server goes away it reconnects and asks for the changes it missed. --json prints \
                each event's JSON on a line of its own.
                """)
        @OptionGroup var server: ServerOptions
        @Argument(help: "The dataset id.") var dataset: String

        func run() async throws {
            let id = try uuidArgument(dataset, "dataset")
            let printer = ChangePrinter(json: server.json, colour: Terminal.coloursStandardOutput)
            try await PlanWatch(client: try server.client(), datasetID: id).run(
                notice: { notice in
                    switch notice {
                    case .connected: break
                    case .disconnected(let reason, let retryIn):
                        Terminal.error(
                            "fletcher: \(reason); reconnecting in \(retryIn.formatted(.units(width: .narrow)))")
                    }
                },
                event: printer.print)
        }
    }
}

/// Prints the events of one plan as lines; remembers product names from the `plan` event.
private final class ChangePrinter: Sendable {
    private let json: Bool
    private let colour: Bool
    private let names = Mutex([UUID: String]())

    init(json: Bool, colour: Bool) {
        self.json = json
        self.colour = colour
    }

    func print(_ event: ServerSentEvent) {
        if json { return Terminal.line(event.data) }
        let data = Data(event.data.utf8)
        switch event.name {
        case "plan":
            struct Snapshot: Decodable { let plan: Plan; let version: Int64 }
            guard let snapshot = try? JSONDecoder().decode(Snapshot.self, from: data) else { return }
            names.withLock { names in
                for product in snapshot.plan.dataProducts { names[product.id] = product.name }
            }
            let products = snapshot.plan.dataProducts
            let counts = Dictionary(grouping: products, by: \.state).mapValues(\.count)
            let summary = State.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }
            Terminal.line(
                "v\(snapshot.version)  plan of \(products.count) products"
                    + (summary.isEmpty ? "" : ": " + summary.joined(separator: ", "))
                    + (snapshot.plan.dataset.paused ? " (paused)" : ""))
        case "change":
            guard let change = try? JSONDecoder().decode(PlanChange.self, from: data) else { return }
            if let paused = change.paused {
                Terminal.line("v\(change.version)  dataset \(paused ? "paused" : "unpaused")")
            }
            for product in change.changes {
                let name = names.withLock { $0[product.id] } ?? product.id.lowercasedString
                let state = colour ? Terminal.coloured(product.state) : product.state.rawValue
                let time = product.modifiedDate.rfc3339
                var line = "\(time)  v\(change.version)  \(name)  \(state)"
                if let run = product.runID { line += "  run \(run.lowercasedString)" }
                if let link = product.link { line += "  \(link)" }
                Terminal.line(line)
            }
        default:
            break
        }
    }
}
