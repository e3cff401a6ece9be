import ArgumentParser
import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore

struct LsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the files and directories of a snapshot (reads only tree grains).",
        discussion: """
            With no PATH, everything in the snapshot, recursively. With PATH (absolute), that \
            entry and, for a directory, its entries; --recursive lists everything below it.
            """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var filters: SnapshotFilterOptions

    @Argument(help: "A snapshot: an id, a unique id prefix, or 'latest'.")
    var snapshot: String

    @Argument(help: "An absolute path in the snapshot (\\xNN for a byte that is not UTF-8).")
    var path: String?

    @Flag(name: [.short, .long], help: "Show permissions, owner, group, size and mtime.")
    var long = false

    @Flag(help: "List directories below PATH too.")
    var recursive = false

    @Flag(help: "Print one JSON object per line: the snapshot, then each entry.")
    var json = false

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let snapshots = SnapshotRepository.reporting(try await repository.openBasin())
            let chosen = try await filters.resolve(snapshot, in: snapshots, among: try await snapshots.list())
            let components = try path.map { try SnapshotPath(parsing: commandLineBytes($0)).components } ?? []
            if json {
                print(try Format.json(SnapshotJSON(chosen, structType: "snapshot")))
            } else {
                let filtered = path == nil ? "" : " filtered by [\(SnapshotPath(components).description)]"
                print("snapshot \(chosen.shortID) of [\(chosen.record.paths.joined(separator: " "))]\(filtered) at \(Format.localTime(chosen.record.date)):")
            }
            let lister = TreeLister(source: snapshots)
            try await lister.list(chosen, path: components, recursive: recursive || path == nil) { node throws(BasinError) in
                print(json ? try Format.json(NodeJSON(node)) : long ? NodeJSON.longLine(node) : node.displayLine)
            }
        }
    }
}

/// The raw bytes of a command-line argument (file names need not be UTF-8).
func commandLineBytes(_ argument: String) -> [UInt8] {
    CommandLineBytes.path(for: argument).dropLast().map { UInt8(bitPattern: $0) }
}

/// A path in a snapshot as `dump` and `restore SNAPSHOT:PATH` take it: `\xNN` escapes as
/// listings print them, and relative to the root when it does not start with `/`.
func snapshotPath(_ bytes: [UInt8]) throws(BasinError) -> [[UInt8]] {
    try SnapshotPath(parsing: bytes.first == UInt8(ascii: "/") ? bytes : [UInt8(ascii: "/")] + bytes).components
}
