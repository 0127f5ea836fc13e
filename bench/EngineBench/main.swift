// Engine and orchestrator update cost on a 10,000-product plan vs a 12-product plan
// (docs/benchmarks.md P2, measured below the HTTP layer). Run with `bench/run`.
import FletcherCore
import FletcherPlatform
import FletcherPlugins
import FletcherSQLite
import Foundation

let engineIterations = 5_000
let storeIterations = 400
/// The benchmark posts C-AMS products, as a client names them on the wire.
let cams = Compute(rawValue: "cams")!

struct Measurement: Codable {
    let name: String
    let products: Int
    let medianMicroseconds: Double
    let p90Microseconds: Double
}

func median(_ samples: [Double]) -> (median: Double, p90: Double) {
    let sorted = samples.sorted()
    return (sorted[sorted.count / 2], sorted[sorted.count * 9 / 10])
}

func elapsedMicroseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let duration = ContinuousClock.now - start
    return Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

func elapsedMicroseconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let duration = ContinuousClock.now - start
    return Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

/// A plan and the product whose updates are timed: one with a single child, in both sizes, so
/// each update changes the same number of rows (the product and its reset child).
struct Workload {
    let name: String
    let param: PlanParam
    let target: UUID
}

/// The accounting pipeline of docs/benchmarks.md: 11 products, 16 edges, plus an eager leaf under Alchemy.
func accountingPlan() -> Workload {
    var ids: [String: UUID] = [:]
    func id(_ name: String) -> UUID {
        if let id = ids[name] { return id }
        ids[name] = UUID()
        return ids[name]!
    }
    let eager: [String: Bool] = [
        "BKPF": false, "BSEG": false, "T001": false, "GLT0": false, "MIDA": true, "EDM_GL": true, "EDM_TB": true,
        "Alchemy": true, "FSLI Mapping": false, "Journals 1000": true, "Journals 2000": false, "Leaf": true,
    ]
    let edges: [(String, String)] = [
        ("BKPF", "EDM_GL"), ("BSEG", "EDM_GL"), ("T001", "EDM_GL"), ("BSEG", "EDM_TB"), ("T001", "EDM_TB"),
        ("GLT0", "EDM_TB"), ("EDM_GL", "Alchemy"), ("EDM_TB", "Alchemy"), ("EDM_GL", "Journals 1000"),
        ("EDM_TB", "Journals 1000"), ("FSLI Mapping", "Journals 1000"), ("MIDA", "Journals 1000"),
        ("EDM_GL", "Journals 2000"), ("EDM_TB", "Journals 2000"), ("FSLI Mapping", "Journals 2000"),
        ("MIDA", "Journals 2000"), ("Alchemy", "Leaf"),
    ]
    let products = eager.keys.sorted().map { name in
        DataProductParam(id: id(name), compute: cams, name: name, version: "1.0", eager: eager[name]!)
    }
    let param = PlanParam(
        dataset: DatasetParam(id: UUID(), extra: ["pipeline": "accounting"]), dataProducts: products,
        dependencies: edges.map { DependencyParam(parentID: id($0.0), childID: id($0.1)) })
    return Workload(name: "12 products", param: param, target: id("Alchemy"))
}

/// 100 layers of 100 products; each product depends on two products of the layer above.
func layeredPlan(layers: Int = 100, width: Int = 100) -> Workload {
    let ids = (0..<(layers * width)).map { _ in UUID() }
    var products: [DataProductParam] = []
    var dependencies: [DependencyParam] = []
    for index in ids.indices {
        products.append(
            DataProductParam(id: ids[index], compute: cams, name: "product-\(index)", version: "1", eager: false))
        let layer = index / width
        guard layer > 0 else { continue }
        let column = index % width
        for parentColumn in Set([column, (column + 1) % width]) {
            dependencies.append(DependencyParam(parentID: ids[(layer - 1) * width + parentColumn], childID: ids[index]))
        }
    }
    // The timed product hangs under the last layer with one eager child, so an update changes
    // the same rows as in the small plan (the product and its reset child).
    let parent = UUID()
    let child = UUID()
    products.append(DataProductParam(id: parent, compute: cams, name: "target", version: "1", eager: false))
    products.append(DataProductParam(id: child, compute: cams, name: "target-child", version: "1", eager: true))
    dependencies.append(DependencyParam(parentID: ids[ids.count - 1], childID: parent))
    dependencies.append(DependencyParam(parentID: parent, childID: child))
    return Workload(
        name: "\(products.count) products",
        param: PlanParam(dataset: DatasetParam(id: UUID()), dataProducts: products, dependencies: dependencies),
        target: parent)
}

func engineUpdate(_ workload: Workload) throws -> Measurement {
    var clock: Int64 = 1_795_946_400_000_000
    func context() -> EngineContext {
        clock += 1
        return EngineContext(
            actor: "bench", now: Timestamp(microsecondsSinceEpoch: clock), platforms: PlatformRegistry.builtIn.catalog()
        )
    }
    let id = workload.param.dataset.id
    let created = try Engine.execute(.post(workload.param), datasetID: id, on: nil, context: context())
    var state = PlanState(plan: Plan(dataset: created.dataset!, dataProducts: [], dependencies: []), version: 0)
    state.apply(created, version: 1)
    var samples: [Double] = []
    for iteration in 0..<engineIterations {
        let update = Command.update([StateParam(id: workload.target, state: iteration % 2 == 0 ? .running : .success)])
        samples.append(
            try elapsedMicroseconds {
                let delta = try Engine.execute(update, datasetID: id, on: state, context: context())
                state.apply(delta, version: state.version + 1)
            })
    }
    let (median, p90) = median(samples)
    return Measurement(
        name: "engine update", products: workload.param.dataProducts.count, medianMicroseconds: median,
        p90Microseconds: p90)
}

/// P11 below HTTP: the engine's part of a first post of `workload` (validation, merge, triggers),
/// the part that runs before any row goes to the database. Median of `iterations`, in ms.
func enginePost(_ workload: Workload, iterations: Int = 5) throws -> Double {
    let context = EngineContext(
        actor: "bench", now: Timestamp(microsecondsSinceEpoch: 1_795_946_400_000_000),
        platforms: PlatformRegistry.builtIn.catalog())
    let samples = try (0..<iterations).map { _ in
        try elapsedMicroseconds {
            _ = try Engine.execute(
                .post(workload.param), datasetID: workload.param.dataset.id, on: nil, context: context)
        }
    }
    return median(samples).median / 1000
}

func storeUpdate(_ workload: Workload, directory: URL) async throws -> Measurement {
    let path = directory.appendingPathComponent("\(UUID().uuidString).sqlite").path
    let store = try await SQLitePlanStore.open(path: path)
    try await store.migrate()
    let orchestrator = Orchestrator(store: store, platforms: PlatformRegistry.builtIn.catalog())
    _ = try await orchestrator.post(workload.param, by: "bench")
    var samples: [Double] = []
    for iteration in 0..<storeIterations {
        let update = Command.update([StateParam(id: workload.target, state: iteration % 2 == 0 ? .running : .success)])
        samples.append(
            try await elapsedMicroseconds {
                _ = try await orchestrator.execute(update, on: workload.param.dataset.id, by: "bench")
            })
    }
    let (median, p90) = median(samples)
    return Measurement(
        name: "orchestrator update (SQLite file, durable commit)", products: workload.param.dataProducts.count,
        medianMicroseconds: median, p90Microseconds: p90)
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fletcher-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let small = accountingPlan()
let large = layeredPlan()
var rows: [(Measurement, Measurement)] = []
rows.append((try engineUpdate(small), try engineUpdate(large)))
rows.append((try await storeUpdate(small, directory: directory), try await storeUpdate(large, directory: directory)))

print("P2 below HTTP: median latency of one state update, \(large.name) vs \(small.name) (target ratio ≤ 1.5)")
print(
    "measurement".padding(toLength: 52, withPad: " ", startingAt: 0) + "   small µs   large µs   ratio")
var results: [[String: Double]] = []
for (smallRow, largeRow) in rows {
    let ratio = largeRow.medianMicroseconds / smallRow.medianMicroseconds
    print(
        smallRow.name.padding(toLength: 52, withPad: " ", startingAt: 0)
            + String(format: " %10.1f %10.1f %7.2f", smallRow.medianMicroseconds, largeRow.medianMicroseconds, ratio))
    results.append([
        "small_median_us": smallRow.medianMicroseconds, "large_median_us": largeRow.medianMicroseconds,
        "small_p90_us": smallRow.p90Microseconds, "large_p90_us": largeRow.p90Microseconds, "ratio": ratio,
    ])
}

let decode = try decodePostBody(products: 50_000)
print(
    String(
        format: "P11 body: decoding a 50,000-product post (%.1f MB): JSONInput %.0f ms, JSONDecoder %.0f ms (%.2f)",
        Double(decode.bytes) / 1e6, decode.oursMilliseconds, decode.foundationMilliseconds,
        decode.oursMilliseconds / decode.foundationMilliseconds))

let postMilliseconds = try enginePost(layeredPlan(layers: 500, width: 100))
print(String(format: "P11 engine: the engine's part of a 50,000-product first post: %.0f ms", postMilliseconds))

let report: [String: Any] = [
    "benchmark": "engine-update-p2",
    "small_products": small.param.dataProducts.count,
    "large_products": large.param.dataProducts.count,
    "rows": Dictionary(uniqueKeysWithValues: zip(rows.map { $0.0.name }, results)),
    "post_body_decode": [
        "products": 50_000, "bytes": decode.bytes, "json_input_ms": decode.oursMilliseconds,
        "json_decoder_ms": decode.foundationMilliseconds,
        "ratio": decode.oursMilliseconds / decode.foundationMilliseconds,
    ],
    "post_engine_ms": postMilliseconds,
]
let output = URL(
    fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "bench/results/latest.json")
try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]).write(to: output)
print("wrote \(output.path)")
