import ArgumentParser
import BasinBackend
import BasinSnapshots
import BasinStore
import Foundation

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two snapshots (reads only tree grains).",
        discussion: """
            Markers: + added, - removed, M content changed, T type changed, U metadata only \
            (with --metadata). Directories end with /. Unchanged subtrees are skipped without \
            being read.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The first snapshot: an id, a unique id prefix, or 'latest'.")
    var first: String

    @Argument(help: "The second snapshot.")
    var second: String

    @Flag(help: "Also list entries whose metadata alone changed (U).")
    var metadata = false

    @Flag(help: "Print one JSON object per line: each change, then the statistics.")
    var json = false

    /// A change as `--json` prints it (restic's message).
    struct ChangeJSON: Encodable {
        let messageType = "change"
        let path: String
        let modifier: String
        let sizeBefore: UInt64?
        let sizeAfter: UInt64?
    }

    /// The closing statistics as `--json` prints them.
    struct StatisticsJSON: Encodable {
        let messageType = "statistics"
        let sourceSnapshot: String
        let targetSnapshot: String
        let summary: DiffSummary
    }

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let snapshots = SnapshotRepository.reporting(try await repository.openBasin())
            let all = try await snapshots.list()
            let before = try await snapshots.resolve(first, among: all)
            let after = try await snapshots.resolve(second, among: all)
            if !json {
                print("comparing snapshot \(before.shortID) to \(after.shortID):\n")
            }
            let summary = try await TreeDiffer(source: snapshots).diff(before, after) { change throws(BasinError) in
                guard change.kind != .metadata || metadata else { return }
                if json {
                    print(try Format.json(ChangeJSON(path: change.displayPath, modifier: change.kind.rawValue,
                                                     sizeBefore: change.before?.size, sizeAfter: change.after?.size)))
                } else {
                    print(change.kind.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0) + change.displayLine)
                }
            }
            if json {
                print(try Format.json(StatisticsJSON(sourceSnapshot: before.id.hex, targetSnapshot: after.id.hex, summary: summary)))
                return
            }
            func count(_ value: Int) -> String { String(repeating: " ", count: max(0, 5 - String(value).count)) + String(value) }
            print("")
            print("Files:        \(count(summary.filesAdded)) new, \(count(summary.filesRemoved)) removed, \(count(summary.filesChanged)) changed")
            print("Dirs:         \(count(summary.directoriesAdded)) new, \(count(summary.directoriesRemoved)) removed")
            print("Others:       \(count(summary.othersAdded)) new, \(count(summary.othersRemoved)) removed, \(count(summary.othersChanged)) changed")
            if summary.typeChanged > 0 { print("Type changes: \(count(summary.typeChanged))") }
            if metadata { print("Metadata:     \(count(summary.metadataChanged)) changed") }
            print("  Added:   \(Format.bytes(summary.bytesAdded))")
            print("  Removed: \(Format.bytes(summary.bytesRemoved))")
        }
    }
}
