import ArgumentParser
import BasinSnapshots
import BasinStore

struct SnapshotsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots",
        abstract: "List snapshots, oldest first (reads only the small snapshot refs).")

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var filters: SnapshotFilterOptions

    @Flag(name: [.short, .long], help: "Only ID, time, host and tags.")
    var compact = false

    @Flag(help: "Print a JSON array.")
    var json = false

    @Argument(help: "Only these snapshots: ids, unique id prefixes or 'latest'.")
    var ids: [String] = []

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let snapshots = SnapshotRepository.reporting(try await repository.openBasin())
            let all = try await snapshots.list()
            var chosen: [Snapshot] = []
            if ids.isEmpty {
                chosen = all.filter(filters.filter.matches)
            } else {
                for id in ids {
                    let snapshot = try await filters.resolve(id, in: snapshots, among: all)
                    if !chosen.contains(snapshot) { chosen.append(snapshot) }
                }
            }
            if json {
                print(try Format.json(chosen.map { SnapshotJSON($0) }, pretty: true))
            } else {
                print(SnapshotTable(snapshots: chosen, compact: compact).render())
            }
        }
    }
}
