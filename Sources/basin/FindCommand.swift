import ArgumentParser
import BasinSnapshots
import BasinStore

struct FindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find files and directories by name in snapshots, newest first (reads only tree grains).",
        discussion: """
            A pattern matches a whole name: * any characters, ? one, [a-z] and [!a-z] a set, \
            \\c the character c, \\xNN the byte NN. A directory unchanged between snapshots is \
            searched once.
            """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var filters: SnapshotFilterOptions

    @Argument(help: "Name patterns; an entry matching any of them is listed.")
    var patterns: [String]

    @Option(name: [.short, .customLong("snapshot")], help: ArgumentHelp("Search only this snapshot (repeatable; default: all passing the filters).", valueName: "ID"))
    var snapshotIDs: [String] = []

    @Flag(name: [.short, .customLong("ignore-case")], help: "Match letters in either case.")
    var ignoreCase = false

    @Flag(name: [.short, .long], help: "Show permissions, owner, group, size and mtime.")
    var long = false

    @Flag(help: "Print a JSON array: per snapshot, its id, the number of hits and the matches.")
    var json = false

    /// One snapshot's matches as `--json` prints them (restic's shape).
    struct SnapshotMatchesJSON: Encodable {
        let snapshot: String
        let hits: Int
        let matches: [NodeJSON]
    }

    func validate() throws {
        guard !patterns.isEmpty else { throw ValidationError("give at least one PATTERN") }
    }

    func run() async throws {
        try await BasinCommand.reportingErrors {
            var compiled: [NamePattern] = []
            for pattern in patterns { compiled.append(try NamePattern(pattern, ignoringCase: ignoreCase)) }
            let snapshots = SnapshotRepository.reporting(try await repository.openBasin())
            let all = try await snapshots.list()
            var chosen: [Snapshot] = []
            if snapshotIDs.isEmpty {
                chosen = all.filter(filters.filter.matches)
            } else {
                for id in snapshotIDs {
                    let snapshot = try await filters.resolve(id, in: snapshots, among: all)
                    if !chosen.contains(snapshot) { chosen.append(snapshot) }
                }
            }
            chosen.sort { ($0.record.date, $0.id) > ($1.record.date, $1.id) }
            var finder = SnapshotFinder(source: snapshots, patterns: compiled)
            var results: [SnapshotMatchesJSON] = []
            var printedAny = false
            for snapshot in chosen {
                let nodes = try await finder.find(in: snapshot)
                if json {
                    if !nodes.isEmpty {
                        results.append(SnapshotMatchesJSON(snapshot: snapshot.id.hex, hits: nodes.count, matches: nodes.map(NodeJSON.init)))
                    }
                    continue
                }
                guard !nodes.isEmpty else { continue }
                if printedAny { print("") }
                printedAny = true
                print("Found matching entries in snapshot \(snapshot.shortID) from \(Format.localTime(snapshot.record.date))")
                for node in nodes { print(long ? NodeJSON.longLine(node) : node.displayLine) }
            }
            if json { print(try Format.json(results, pretty: true)) }
        }
    }
}
