import ArgumentParser

@main
struct Fletcher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fletcher",
        abstract: "Data orchestration: keeps each dataset's plan (a DAG of data products) and runs it.",
        subcommands: [Serve.self, Migrate.self, HashKey.self, PlanCommand.self, Simulate.self]
    )
}
