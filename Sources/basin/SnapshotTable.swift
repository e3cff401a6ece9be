import BasinCore
import BasinSnapshots

/// The snapshot table `snapshots` and `forget` print, laid out like restic's.
struct SnapshotTable {
    let snapshots: [Snapshot]
    /// Why each snapshot is kept (forget), by id: adds a Reasons column.
    var reasons: [Key: [String]]? = nil
    /// ID, time, host and tags only, one tag a line.
    var compact = false

    func render() -> String {
        var headers = ["ID", "Time", "Host", "Tags"]
        if !compact {
            if reasons != nil { headers.append("Reasons") }
            headers += ["Paths", "Size"]
        }
        // Each cell may span several lines (paths, reasons, compact tags).
        let rows: [[[String]]] = snapshots.map { snapshot in
            let record = snapshot.record
            var cells: [[String]] = [[snapshot.shortID], [Format.localTime(record.date)], [record.hostname]]
            cells.append(compact ? record.tags : [record.tags.joined(separator: ",")])
            if !compact {
                if let reasons { cells.append(reasons[snapshot.id] ?? []) }
                cells.append(record.paths)
                cells.append([record.summary.map { Format.bytes($0.totalBytes) } ?? ""])
            }
            return cells
        }
        var widths = headers.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.map(\.count).max() ?? 0)
            }
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, text in
                column == cells.count - 1 ? text : text + String(repeating: " ", count: widths[column] - text.count)
            }
            var text = padded.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var lines = [line(headers), rule]
        for row in rows {
            let height = row.map(\.count).max() ?? 1
            for index in 0..<max(height, 1) {
                lines.append(line(row.map { index < $0.count ? $0[index] : "" }))
            }
        }
        lines.append(rule)
        lines.append("\(snapshots.count) snapshot\(snapshots.count == 1 ? "" : "s")")
        return lines.joined(separator: "\n")
    }
}
