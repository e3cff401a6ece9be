import ArgumentParser
import BasinBackend
import BasinSnapshots
import BasinStore

/// restic's snapshot filters, for commands that choose snapshots (and `latest`).
struct SnapshotFilterOptions: ParsableArguments {
    @Option(name: .customLong("host"), help: ArgumentHelp("Only snapshots of this host (repeatable: any of them).", valueName: "HOST"))
    var hosts: [String] = []

    @Option(name: .customLong("tag"), help: ArgumentHelp("Only snapshots with all of these tags (repeatable: any of the lists).", valueName: "TAG[,TAG…]"))
    var tags: [String] = []

    @Option(name: .customLong("path"), help: ArgumentHelp("Only snapshots including this absolute path (repeatable: all of them).", valueName: "PATH"))
    var paths: [String] = []

    func validate() throws {
        if let relative = paths.first(where: { !$0.hasPrefix("/") }) {
            throw ValidationError("--path \(relative): snapshot paths are absolute")
        }
    }

    var filter: SnapshotFilter {
        SnapshotFilter(hosts: hosts, tags: SnapshotFilter.tagLists(tags), paths: paths)
    }

    /// The snapshot named by `text` (`latest` is the newest snapshot passing the filters).
    /// - Throws: `.notFound`, or `.invalidArgument` for a malformed or ambiguous id.
    func resolve(_ text: String, in repository: SnapshotRepository, among snapshots: [Snapshot]) async throws(BasinError) -> Snapshot {
        let filter = filter
        return try await repository.resolve(text, among: snapshots, filter: filter.matches)
    }
}
