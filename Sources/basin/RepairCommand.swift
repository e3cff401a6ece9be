import ArgumentParser
import BasinCore
import BasinStore

struct RepairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repair", abstract: "Repair what can be rebuilt.",
                                                    subcommands: [Index.self])

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
