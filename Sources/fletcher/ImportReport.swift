import FletcherCore
import Foundation

/// What `fletcher import-upstream` did, for its closing line: datasets imported with their rows,
/// and datasets skipped with why (each one also reported when it happens).
struct ImportReport {
    let dryRun: Bool
    private(set) var datasets = 0
    private(set) var products = 0
    private(set) var dependencies = 0
    private(set) var errors = 0
    private var skippedByReason: [String: Int] = [:]

    init(dryRun: Bool) { self.dryRun = dryRun }

    mutating func imported(_ plan: Plan) {
        datasets += 1
        products += plan.dataProducts.count
        dependencies += plan.dependencies.count
    }

    mutating func skip(_ id: UUID, because reason: SkipReason) {
        standardError("skipped dataset \(id.lowercasedString): \(reason)")
        if reason.isError { errors += 1 }
        skippedByReason[reason.kind, default: 0] += 1
    }

    var summary: String {
        let skipped = skippedByReason.values.reduce(0, +)
        let reasons = skippedByReason.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        let rows = "\(datasets) dataset\(datasets == 1 ? "" : "s") (\(products) products, \(dependencies) dependencies)"
        let skips = "skipped \(skipped)" + (reasons.isEmpty ? "" : " (\(reasons.joined(separator: ", ")))")
        return dryRun ? "dry run, nothing written: would have imported \(rows), \(skips)" : "imported \(rows), \(skips)"
    }
}

/// Why a dataset was not imported.
enum SkipReason: CustomStringConvertible {
    case alreadyPresent
    case notImportable(PlanImport.Problem)
    case unreadable(String)

    /// Whether the run failed for it (an existing dataset is what a resumed run expects).
    var isError: Bool {
        if case .alreadyPresent = self { return false }
        return true
    }

    /// The reason as the summary counts it.
    var kind: String {
        switch self {
        case .alreadyPresent: "already in Fletcher"
        case .notImportable(.danglingDependency): "with a dependency on a missing product"
        case .notImportable: "not a DAG"
        case .unreadable: "unreadable"
        }
    }

    var description: String {
        switch self {
        case .alreadyPresent: "already in Fletcher (left as it is)"
        case .notImportable(let problem): "\(problem)"
        case .unreadable(let message): "its rows cannot be read: \(message)"
        }
    }
}

/// Progress on standard error while datasets are imported: done / total and the rate, at most
/// every two seconds, and once at the end.
struct Progress {
    let total: Int
    private var done = 0
    private let started = ContinuousClock.now
    private var lastShown = ContinuousClock.now

    init(total: Int) {
        self.total = total
        standardError("importing \(total) dataset\(total == 1 ? "" : "s")")
    }

    mutating func step() {
        done += 1
        let now = ContinuousClock.now
        guard done == total || now - lastShown >= .seconds(2) else { return }
        lastShown = now
        let seconds = Double((now - started).components.attoseconds) / 1e18 + Double((now - started).components.seconds)
        let rate = seconds > 0 ? Int((Double(done) / seconds).rounded()) : done
        standardError("\(done) / \(total) datasets (\(rate)/s)")
    }
}
