import ArgumentParser

@main
struct Fletcher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fletcher",
        abstract: "Data orchestration: keeps each dataset's plan (a DAG of data products) and runs it.",
        subcommands: [Migrate.self, HashKey.self, PlanCommand.self]
    )
}

/// A failure the operator can act on: printed as one line, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
