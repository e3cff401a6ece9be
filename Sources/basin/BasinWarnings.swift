import BasinStore
import Synchronization

/// The warnings of the basins this process opened (what they mended in their index, at open
/// or while a command read them), each printed to stderr once: at open, once a lock is taken
/// (which reloads the index), and when the command ends.
enum BasinWarnings {
    private static let opened = Mutex<[(basin: Basin, printed: Int)]>([])

    /// Prints the warnings of a basin just opened, and those it adds later.
    static func track(_ basin: Basin) async {
        opened.withLock { $0.append((basin, 0)) }
        await printNew()
    }

    /// Prints the warnings not printed yet.
    static func printNew() async {
        let basins = opened.withLock { $0.map(\.basin) }
        for (position, basin) in basins.enumerated() {
            let warnings = await basin.warnings
            let start = opened.withLock { list in
                defer { list[position].printed = max(list[position].printed, warnings.count) }
                return list[position].printed
            }
            for warning in warnings.dropFirst(start) { StandardStreams.printError("basin: warning: \(warning)") }
        }
    }
}
