import ArgumentParser
import BasinCore
import BasinSnapshots
import BasinStore

struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repair", abstract: "Repair what can be rebuilt.",
                                                    subcommands: [Index.self, Snapshots.self])

    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "index",
            abstract: "Rebuild the index from the strata alone, removing unusable segments.")

        @OptionGroup var repository: RepositoryOptions

        func run() async throws {
            try await BasinCommand.reportingErrors {
                try await RepairCommand.rebuildIndex(repository)
            }
        }
    }

    struct Snapshots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "snapshots",
            abstract: "Rewrite damaged snapshot refs from their snapshot grains; move those that cannot be rebuilt to quarantine/.")

        @OptionGroup var repository: RepositoryOptions

        func run() async throws {
            try await BasinCommand.reportingErrors {
                // Exclusive: no prune may mark while a ref is briefly absent between delete and rewrite.
                try await repository.withLockedBasin(exclusive: true, operation: "repair snapshots") { basin, _ in
                    try await RepairCommand.repairSnapshots(SnapshotRepository(basin: basin))
                }
            }
        }
    }

    /// Each damaged ref: a copy of its bytes goes to `quarantine/`, then the ref is deleted
    /// and, when its snapshot grain is whole, written again from the grain.
    static func repairSnapshots(_ snapshots: SnapshotRepository) async throws {
        let basin = snapshots.basin
        let restored = try await restoreQuarantinedRefs(snapshots)
        let damaged = try await snapshots.listing().damaged
        for ref in damaged {
            let copy = quarantine + "\(ref.name).\(String(UInt64.random(in: .min ... .max), radix: 16))"
            try await basin.backend.write(copy, bytes: try await basin.backend.read(ref.name))
            try await basin.deleteObject(ref.name)
            if let snapshot = ref.recovered {
                try await basin.writeSealedObject(ref.name, plain: try await basin.grain(snapshot.id).plain)
                print("rewrote \(ref.name) from its snapshot grain (\(ref.error.message)); the damaged copy is \(copy)")
            } else {
                print("removed \(ref.name): \(ref.error.message), and its snapshot grain cannot be read; the damaged copy is \(copy)")
            }
        }
        let repaired = damaged.count + restored
        print(repaired == 0 ? "no damaged snapshot refs" : "repaired \(repaired) snapshot ref\(repaired == 1 ? "" : "s")")
    }

    static let quarantine = "quarantine/"

    /// A repair cut short between deleting a damaged ref and writing it again leaves only the
    /// ref's copy in quarantine: writes each such ref again whose snapshot grain is whole.
    /// - Returns: how many refs were written.
    static func restoreQuarantinedRefs(_ snapshots: SnapshotRepository) async throws -> Int {
        let basin = snapshots.basin
        var present = Set(try await basin.listObjects(prefix: SnapshotRepository.folder).map(\.name))
        var restored = 0
        for copy in try await basin.listObjects(prefix: quarantine + SnapshotRepository.folder).map(\.name).sorted() {
            let quarantined = copy.dropFirst(quarantine.count)
            let name = String(quarantined[..<(quarantined.lastIndex(of: ".") ?? quarantined.endIndex)])
            guard !present.contains(name), let snapshot = await snapshots.recover(ref: name) else { continue }
            try await basin.writeSealedObject(name, plain: try await basin.grain(snapshot.id).plain)
            print("rewrote \(name) from its snapshot grain: only its quarantined copy \(copy) was left")
            present.insert(name)
            restored += 1
        }
        return restored
    }

    /// Rebuilds the index under an exclusive lock and says what was replaced (also for
    /// `basin index rebuild`).
    static func rebuildIndex(_ repository: RepositoryOptions) async throws {
        try await repository.withLockedBasin(exclusive: true, operation: "index rebuild") { basin, _ in
            let unusable = basin.segmentedIndex.problems
            let before = basin.segmentedIndex.statistics.segments + unusable.count
            let result = try await basin.rebuildIndex()
            for problem in unusable { print("removed unusable segment \(problem.name): \(problem.error.message)") }
            print("indexed \(result.grains) grains in \(result.strata) strata; \(before) segment\(before == 1 ? "" : "s") replaced by 1")
        }
    }
}
