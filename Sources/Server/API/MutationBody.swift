import FletcherCore

/// The body of a successful mutation: the whole plan (**compat**) or, when the client sent
/// `Prefer: return=minimal`, only the version and the changed rows, so big plans stay cheap.
enum MutationBody: Codable, Hashable, Sendable {
    case plan(Plan)
    case minimal(version: Int64, changes: [DataProduct])

    private enum CodingKeys: String, CodingKey { case version, changes }

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: CodingKeys.self),
            let version = try container.decodeIfPresent(Int64.self, forKey: .version)
        {
            self = .minimal(version: version, changes: try container.decode([DataProduct].self, forKey: .changes))
        } else {
            self = .plan(try Plan(from: decoder))
        }
    }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .plan(let plan):
            try plan.encode(to: encoder)
        case .minimal(let version, let changes):
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(version, forKey: .version)
            try container.encode(changes, forKey: .changes)
        }
    }
}

extension MutationBody {
    /// `.minimal`'s JSON as `JSONEncoder` writes it with sorted keys, written by `JSONWriter`.
    static func minimalJSON(version: Int64, changes: [DataProduct]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + 320 * changes.count)
        writer.raw("{")
        writer.key("changes")
        writer.raw("[")
        for (index, product) in changes.enumerated() {
            if index > 0 { writer.raw(",") }
            product.write(to: &writer)
        }
        writer.raw("],")
        writer.key("version")
        writer.int(version)
        writer.raw("}")
        return writer.bytes
    }
}
