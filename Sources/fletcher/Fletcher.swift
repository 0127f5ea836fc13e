import ArgumentParser
import FletcherClient
import Foundation

@main
struct Fletcher: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fletcher",
        abstract: "Data orchestration: keeps each dataset's plan (a DAG of data products) and runs it.",
        subcommands: [
            Serve.self, Migrate.self, ImportUpstream.self, HashKey.self, PlanCommand.self, ProductCommand.self,
            Simulate.self,
        ]
    )

    /// Exit statuses (`docs/operations.md`): 0 done, 1 refused or failed, 2 bad usage, 3 the
    /// server cannot be reached.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch let error as ClientError {
            FileHandle.standardError.write(Data("fletcher: \(error)\n".utf8))
            Foundation.exit(error.exitStatus)
        } catch let error as ValidationError {
            FileHandle.standardError.write(Data("fletcher: \(error.message)\n".utf8))
            Foundation.exit(2)
        } catch {
            exit(withError: error)
        }
    }
}
