import FletcherCore
import Foundation

/// A new plan's rows in `COPY`'s text format: a tab between fields, a newline after each row,
/// `\N` for NULL, and backslash, tab, newline and carriage return escaped in values. JSON values
/// are their compact text (`jsonb` parses it); a JSON `null` is stored as NULL, as by the write
/// statement.
enum PostgresCopyRows {
    static let productsSQL = """
        COPY data_product (dataset_id, id, position, compute, name, version, eager, passthrough, state, run_id,
                           link, passback, extra, modified_by, modified_date) FROM STDIN
        """

    static let dependenciesSQL = """
        COPY dependency (dataset_id, parent_id, child_id, position, extra, modified_by, modified_date) FROM STDIN
        """

    static func products(_ rows: [(position: Int, product: DataProduct)], of datasetID: UUID) -> [UInt8] {
        var writer = Writer(capacity: rows.count * 260)
        for (position, product) in rows {
            writer.uuid(datasetID)
            writer.uuid(product.id)
            writer.int(position)
            writer.text(product.compute.rawValue)
            writer.text(product.name)
            writer.text(product.version)
            writer.text(product.eager ? "t" : "f")
            writer.json(product.passthrough)
            writer.text(product.state.rawValue)
            writer.uuid(product.runID)
            writer.text(product.link)
            writer.json(product.passback)
            writer.json(product.extra)
            writer.text(product.modifiedBy)
            writer.timestamp(product.modifiedDate)
            writer.endRow()
        }
        return writer.bytes
    }

    static func dependencies(_ rows: [(position: Int, dependency: Dependency)], of datasetID: UUID) -> [UInt8] {
        var writer = Writer(capacity: rows.count * 150)
        for (position, dependency) in rows {
            writer.uuid(datasetID)
            writer.uuid(dependency.parentID)
            writer.uuid(dependency.childID)
            writer.int(position)
            writer.json(dependency.extra)
            writer.text(dependency.modifiedBy)
            writer.timestamp(dependency.modifiedDate)
            writer.endRow()
        }
        return writer.bytes
    }

    struct Writer {
        private(set) var bytes: [UInt8] = []
        private var atRowStart = true

        init(capacity: Int) {
            bytes.reserveCapacity(capacity)
        }

        private mutating func separate() {
            if !atRowStart { bytes.append(UInt8(ascii: "\t")) }
            atRowStart = false
        }

        mutating func null() {
            separate()
            bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
        }

        mutating func uuid(_ value: UUID?) {
            guard let value else { return null() }
            separate()
            value.appendLowercased(to: &bytes)
        }

        mutating func int(_ value: Int) {
            separate()
            bytes.append(contentsOf: String(value).utf8)
        }

        mutating func timestamp(_ value: Timestamp) {
            separate()
            value.appendRFC3339(to: &bytes)
        }

        mutating func text(_ value: String?) {
            guard let value else { return null() }
            separate()
            escaped(value.utf8)
        }

        mutating func json(_ value: JSONValue?) {
            guard let value, value != .null else { return null() }
            separate()
            var json = JSONWriter()
            json.value(value)
            escaped(json.bytes)
        }

        mutating func endRow() {
            bytes.append(UInt8(ascii: "\n"))
            atRowStart = true
        }

        private mutating func escaped(_ utf8: some Sequence<UInt8>) {
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default: bytes.append(byte)
                }
            }
        }
    }
}
