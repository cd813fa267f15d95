import Foundation

/// A plain-text table for people: a header row, columns two spaces apart, the last column unpadded.
///
/// ```swift
/// print(TextTable.render(["ID", "STATUS"], [["switchboard.webhook", "loaded"]]))
/// ```
enum TextTable {
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let lines = [header] + rows
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
