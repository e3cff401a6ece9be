import ArgumentParser
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the basin is whole; exit 13 when any problem is found.",
        discussion: """
            Checks the config and key files, every stratum's header, footer and index grain, \
            the index segments against the strata, every snapshot ref against its snapshot \
            grain, every tree the snapshots reach, and that every key they reach is present with \
            the expected kind and size. Without --read-data, nothing is read from the data lane \
            but its listing and each stratum's header, footer and index grain. --read-data reads \
            every stratum whole and opens and re-hashes every grain; --read-data-subset N/M \
            reads the N-th of M groups of strata (by id), P% a random share of them.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .customLong("read-data"), help: "Read every grain and check it against its key.")
    var readData = false

    @Option(name: .customLong("read-data-subset"), help: ArgumentHelp("Read only group N of M, or P% of the strata.", valueName: "N/M|P%"))
    var readDataSubset: String?

    @Flag(help: "Print the problems as JSON.")
    var json = false

    var selection: DataSelection {
        get throws {
            guard let readDataSubset else { return readData ? .all : .none }
            if readDataSubset.hasSuffix("%") {
                guard let percent = PruneOptionGroup.percentage(readDataSubset), percent > 0 else {
                    throw ValidationError("--read-data-subset P% takes a percentage above 0% and up to 100%")
                }
                return .fraction(percent / 100)
            }
            let parts = readDataSubset.split(separator: "/")
            guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]), m >= 1, (1...m).contains(n) else {
                throw ValidationError("--read-data-subset takes N/M with 1 ≤ N ≤ M, or a percentage such as 10%")
            }
            return .group(n, of: m)
        }
    }

    func validate() throws {
        _ = try selection
    }

    /// What `--json` prints.
    struct Output: Encodable {
        struct Summary: Encodable {
            let keyFiles: Int
            let strata: Int
            let grains: Int
            let indexSegments: Int
            let snapshots: Int
            let trees: Int
            let clasts: Int
            let keysReached: Int
            let strataRead: Int
            let grainsRead: Int
            let bytesRead: Int64
        }

        let problems: [CheckProblem]
        let summary: Summary
    }

    func run() async throws {
        let selection = try selection
        try await BasinCommand.reportingErrors {
            let (store, snapshots) = try await repository.withLockedBasin(operation: "check") { basin, _ in
                let store = try await Checker(basin: basin, readData: selection).run()
                let snapshots = try await SnapshotChecker(repository: SnapshotRepository(basin: basin)).run(inventory: store.inventory)
                return (store, snapshots)
            }
            let problems = store.problems + snapshots.problems
            if json {
                let summary = Output.Summary(keyFiles: store.keyFiles, strata: store.strata, grains: store.grains,
                                             indexSegments: store.segments, snapshots: snapshots.snapshots, trees: snapshots.trees,
                                             clasts: snapshots.clasts, keysReached: snapshots.keys, strataRead: store.strataRead,
                                             grainsRead: store.grainsRead, bytesRead: store.bytesRead)
                print(try Format.json(Output(problems: problems, summary: summary), pretty: true))
            } else {
                print("checked the config, \(store.keyFiles) key file\(store.keyFiles == 1 ? "" : "s"), \(store.strata) strata (\(store.grains) grains), \(store.segments) index segment\(store.segments == 1 ? "" : "s")")
                print("checked \(snapshots.snapshots) snapshot\(snapshots.snapshots == 1 ? "" : "s"): \(snapshots.trees) trees, \(snapshots.clasts) clasts, \(snapshots.keys) keys reached")
                if selection != .none {
                    print("read \(store.strataRead) strata (\(Format.bytes(store.bytesRead))) and checked \(store.grainsRead) grains")
                }
                for problem in problems { print("problem: \(problem)") }
                print(problems.isEmpty ? "no problems found" : "\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
            }
            if !problems.isEmpty { throw ExitCode(ExitCodes.corrupted) }
        }
    }
}
