import ArgumentParser
import HummingbirdBcrypt

struct HashKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-key",
        abstract: "Print the bcrypt hash of a service key, for the \"hash\" field of REMOTE_APIS."
    )

    @Option(help: "The service's secret key.")
    var key: String

    @Option(help: "bcrypt cost factor (4–31); each step doubles the work.")
    var cost: UInt8 = 12

    func validate() throws {
        guard (4...31).contains(cost) else { throw ValidationError("--cost must be between 4 and 31, got \(cost)") }
        guard !key.isEmpty else { throw ValidationError("--key must not be empty") }
    }

    func run() throws {
        print("Key hash: \(Bcrypt.hash(key, cost: cost))")
    }
}
