import FletcherCore
import Foundation
import Synchronization

/// A wall clock that advances 1.000001 s per reading, so every command gets a distinct,
/// microsecond-exact timestamp and orderings are predictable.
public final class SteppingClock: WallClock {
    private let current = Mutex<Int64>(1_795_946_400_000_007)

    public init() {}

    public func now() -> Timestamp {
        Timestamp(
            microsecondsSinceEpoch: current.withLock { value in
                value += 1_000_001
                return value
            })
    }
}

/// A fresh directory per test, removed when the test ends.
public struct TemporaryDirectory: ~Copyable, Sendable {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("fletcher-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Builds plans by product name for store-level tests.
public struct PlanFactory {
    public let datasetID: UUID
    public private(set) var ids: [String: UUID] = [:]

    public init(datasetID: UUID = UUID()) { self.datasetID = datasetID }

    public mutating func id(_ name: String) -> UUID {
        if let id = ids[name] { return id }
        let id = UUID()
        ids[name] = id
        return id
    }

    public mutating func plan(
        _ names: [String], _ edges: [(String, String)] = [], eager: Bool = true, extra: JSONValue? = nil
    ) -> PlanParam {
        var products: [DataProductParam] = []
        for name in names {
            products.append(DataProductParam(id: id(name), compute: .cams, name: name, version: "1", eager: eager))
        }
        var dependencies: [DependencyParam] = []
        for (parent, child) in edges {
            dependencies.append(DependencyParam(parentID: id(parent), childID: id(child)))
        }
        return PlanParam(
            dataset: DatasetParam(id: datasetID, extra: extra), dataProducts: products, dependencies: dependencies)
    }
}

/// Waits until `condition` holds, checking every 20 ms; throws (failing the test) after `timeout`.
public func eventually(
    _ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut(what: what)
}

/// `eventually`'s condition never held.
public struct TimedOut: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting for: \(what)" }
}
