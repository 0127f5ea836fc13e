import Foundation

/// Text laid out in aligned columns, for a terminal: a header row and one row per item, each
/// column as wide as its widest cell, two spaces apart. Cells are single-line (newlines and tabs
/// become spaces, so a value cannot break the layout).
public struct Table: Sendable {
    public let header: [String]
    public private(set) var rows: [[String]] = []

    public init(_ header: String...) { self.header = header }

    public mutating func append(_ cells: String...) {
        precondition(cells.count == header.count, "a row has one cell per column")
        rows.append(cells.map(Self.flatten))
    }

    public var text: String {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        return ([header] + rows).map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    private static func flatten(_ cell: String) -> String {
        String(cell.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
