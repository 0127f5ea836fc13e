/// A plan's JSON as the API sends it, kept as one encoding per row: a command re-encodes only the
/// rows it changed, and an answer is a concatenation (`docs/architecture.md`, Plan cache). The bytes
/// are those of `JSONEncoder` with sorted keys, which is what the API answered before.
public struct PlanJSON: Sendable {
    public private(set) var dataset: [UInt8]
    public private(set) var products: [[UInt8]]
    public private(set) var dependencies: [[UInt8]]

    public init(_ plan: Plan) {
        dataset = plan.dataset.jsonBytes
        products = plan.dataProducts.map(\.jsonBytes)
        dependencies = plan.dependencies.map(\.jsonBytes)
    }

    /// Re-encodes the rows `delta` changes (positions as in `PlanState.apply`).
    mutating func apply(_ delta: PlanDelta) {
        if let dataset = delta.dataset { self.dataset = dataset.jsonBytes }
        products.place(delta.products, as: \.jsonBytes)
        dependencies.place(delta.dependencies, as: \.jsonBytes)
    }

    private static let opening = Array(#"{"data_products":["#.utf8)
    private static let middle = Array(#"],"dataset":"#.utf8)
    private static let beforeDependencies = Array(#","dependencies":["#.utf8)
    private static let closing = Array("]}".utf8)

    /// The length of the whole document in bytes.
    public var count: Int {
        let fixed = Self.opening.count + Self.middle.count + Self.beforeDependencies.count + Self.closing.count
        let commas = max(products.count - 1, 0) + max(dependencies.count - 1, 0)
        return fixed + dataset.count + commas + products.reduce(0) { $0 + $1.count }
            + dependencies.reduce(0) { $0 + $1.count }
    }

    /// The whole document in one buffer (small plans, tests).
    public var bytes: [UInt8] {
        var whole: [UInt8] = []
        whole.reserveCapacity(count)
        for chunk in chunks(of: Int.max) { whole += chunk }
        return whole
    }

    /// The document in pieces of about `size` bytes (whole rows each, so a piece can be longer),
    /// for writing a big plan without holding its whole text.
    public func chunks(of size: Int) -> Chunks { Chunks(json: self, size: size) }

    public struct Chunks: Sequence, Sendable {
        let json: PlanJSON
        let size: Int

        public func makeIterator() -> Iterator {
            Iterator(json: json, size: size, capacity: Swift.min(size, json.count))
        }
    }

    public struct Iterator: IteratorProtocol {
        let json: PlanJSON
        let size: Int
        let capacity: Int
        /// The next piece: 0 the opening, then each product, the dataset, each dependency, the end.
        var piece = 0

        public mutating func next() -> [UInt8]? {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(capacity)
            while chunk.count < size, append(piece, to: &chunk) { piece += 1 }
            return chunk.isEmpty ? nil : chunk
        }

        private func append(_ piece: Int, to chunk: inout [UInt8]) -> Bool {
            let products = json.products.count
            let dependencies = json.dependencies.count
            if piece == 0 {
                chunk += PlanJSON.opening
            } else if piece <= products {
                if piece > 1 { chunk.append(UInt8(ascii: ",")) }
                chunk += json.products[piece - 1]
            } else if piece == products + 1 {
                chunk += PlanJSON.middle
                chunk += json.dataset
                chunk += PlanJSON.beforeDependencies
            } else if piece <= products + 1 + dependencies {
                let index = piece - products - 2
                if index > 0 { chunk.append(UInt8(ascii: ",")) }
                chunk += json.dependencies[index]
            } else if piece == products + dependencies + 2 {
                chunk += PlanJSON.closing
            } else {
                return false
            }
            return true
        }
    }
}

extension DataProduct {
    /// This row as the API sends it.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 320)
        write(to: &writer)
        return writer.keptBytes
    }

    public func write(to writer: inout JSONWriter) {
        writer.raw("{")
        writer.key("compute")
        writer.string(compute.rawValue)
        writer.raw(",")
        writer.key("eager")
        writer.bool(eager)
        writer.raw(",")
        writer.key("extra")
        writer.value(extra)
        writer.raw(",")
        writer.key("id")
        writer.uuid(id)
        writer.raw(",")
        writer.key("link")
        writer.string(link)
        writer.raw(",")
        writer.key("modified_by")
        writer.string(modifiedBy)
        writer.raw(",")
        writer.key("modified_date")
        writer.timestamp(modifiedDate)
        writer.raw(",")
        writer.key("name")
        writer.string(name)
        writer.raw(",")
        writer.key("passback")
        writer.value(passback)
        writer.raw(",")
        writer.key("passthrough")
        writer.value(passthrough)
        writer.raw(",")
        writer.key("run_id")
        writer.uuid(runID)
        writer.raw(",")
        writer.key("state")
        writer.string(state.rawValue)
        writer.raw(",")
        writer.key("version")
        writer.string(version)
        writer.raw("}")
    }
}

extension Dependency {
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 200)
        writer.raw("{")
        writer.key("child_id")
        writer.uuid(childID)
        writer.raw(",")
        writer.key("extra")
        writer.value(extra)
        writer.raw(",")
        writer.key("modified_by")
        writer.string(modifiedBy)
        writer.raw(",")
        writer.key("modified_date")
        writer.timestamp(modifiedDate)
        writer.raw(",")
        writer.key("parent_id")
        writer.uuid(parentID)
        writer.raw("}")
        return writer.keptBytes
    }
}

extension Dataset {
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 160)
        writer.raw("{")
        writer.key("extra")
        writer.value(extra)
        writer.raw(",")
        writer.key("id")
        writer.uuid(id)
        writer.raw(",")
        writer.key("modified_by")
        writer.string(modifiedBy)
        writer.raw(",")
        writer.key("modified_date")
        writer.timestamp(modifiedDate)
        writer.raw(",")
        writer.key("paused")
        writer.bool(paused)
        writer.raw("}")
        return writer.keptBytes
    }
}
