import ArgumentParser
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Reclaim the space of grains no snapshot reaches.",
        discussion: """
            Two phases. First, under a shared lock (backups may run meanwhile): every key the \
            snapshots reach is marked (reading only the meta lane), wholly unused strata are \
            condemned, and partly unused ones (more unused than --max-unused) have their live \
            grains written again into new strata and are condemned too; so are small strata \
            (under a quarter of the target size), merged into full ones once a lane has at \
            least 8 of them (--no-compaction: never). A condemnation record \
            is written; nothing is deleted. Then, under an exclusive lock, strata condemned at \
            least --grace-period ago are deleted, unless a snapshot now reaches them. When \
            another process holds a lock, deletion is deferred to a later run.
            """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var prune: PruneOptionGroup

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Print the plan; change nothing.")
    var dryRun = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        var options = try prune.pruneOptions(dryRun: dryRun)
        options.lockPolicy = try repository.lockPolicy
        try await BasinCommand.reportingErrors {
            let basin = try await repository.openBasin()
            let report = try await Pruner(repository: SnapshotRepository.reporting(basin), options: options).run()
            try Self.show(report, options: options, json: json)
        }
    }

    /// Prints a prune's plan and outcome (also for `forget --prune`).
    static func show(_ report: PruneReport, options: PruneOptions, json: Bool) throws {
        for warning in report.warnings { StandardStreams.printError("basin: warning: \(warning)") }
        if json {
            print(try Format.json(PruneJSON(report, options: options), pretty: true))
            return
        }
        let plan = report.plan
        print("\(report.snapshots) snapshot\(report.snapshots == 1 ? "" : "s") reach \(report.liveKeys) keys; \(plan.sizeBefore == 0 ? "the basin is empty" : "live grains take \(Format.bytes(plan.liveBytes)) of \(Format.bytes(plan.sizeBefore))")")
        print("to delete: \(describe(plan.condemn)) wholly unused")
        print("to repack: \(describe(plan.repack.map(\.stratum))), \(Format.bytes(plan.bytesToRepack - plan.bytesToCompact)) of live grains to write again")
        if !plan.compact.isEmpty {
            print("to compact: \(describe(plan.compact.map(\.stratum))) of small strata, \(Format.bytes(plan.bytesToCompact)) of live grains to merge into full ones")
        }
        if !plan.keptPartly.isEmpty {
            print("kept as is: \(describe(plan.keptPartly)) with \(Format.bytes(plan.unusedKept)) unused (under --max-unused, over --max-repack-size, or cold)")
        }
        if !plan.pending.isEmpty { print("already condemned: \(describe(plan.pending))") }
        print("space: \(Format.bytes(plan.sizeBefore)) now, \(Format.bytes(plan.sizeAfter)) once this plan's strata are deleted")
        if options.dryRun {
            if !report.due.isEmpty {
                let bytes = CondemnationRecord.bytes(of: report.due.map(\.record))
                print("due for deletion: \(report.due.count) condemnation record\(report.due.count == 1 ? "" : "s") (\(Format.bytes(bytes)))")
            }
            print("dry run: nothing was changed")
            return
        }
        if let repack = report.repack {
            print("\(plan.compact.isEmpty ? "repacked" : "repacked and compacted") \(repack.repacked.count) strata: \(repack.grainsWritten) grains into \(repack.strataWritten) new strata (\(Format.bytes(repack.bytesWritten)))")
        }
        if let condemnation = report.condemnation {
            let due = condemnation.record.date.addingTimeInterval(options.gracePeriod)
            print("condemned \(condemnation.record.strata.count) strata (\(Format.bytes(condemnation.record.bytes))) in \(condemnation.name); deleted by a prune run after \(Format.localTime(due))")
        }
        if let deletion = report.deletion {
            print("deleted \(deletion.strata) strata (\(Format.bytes(deletion.bytes))) of \(deletion.records) condemnation record\(deletion.records == 1 ? "" : "s")")
            if !deletion.rescued.isEmpty {
                print("kept \(deletion.rescued.count) condemned strata that snapshots reach again: \(deletion.rescued.map { Hex.encode($0) }.joined(separator: ", "))")
            }
        }
        if let deferred = report.deferred { print("deletion deferred to a later prune: \(deferred)") }
        if report.foldedRootRecords > 0 { print("folded \(report.foldedRootRecords) root records into one checkpoint") }
        if !report.waiting.isEmpty {
            let bytes = CondemnationRecord.bytes(of: report.waiting.map(\.record))
            print("waiting for the grace period: \(report.waiting.count) condemnation record\(report.waiting.count == 1 ? "" : "s") (\(Format.bytes(bytes)))")
        }
        print("basin size: \(Format.bytes(report.sizeBefore)) before, \(Format.bytes(report.sizeAfter)) after")
    }

    /// "3 strata (data 2, meta 1), 40.000 MiB"
    static func describe(_ strata: [StratumInventory.Stratum]) -> String {
        let data = strata.filter { $0.lane == .data }.count
        let bytes = strata.reduce(0) { $0 + $1.size }
        return "\(strata.count) strat\(strata.count == 1 ? "um" : "a") (data \(data), meta \(strata.count - data)), \(Format.bytes(bytes))"
    }
}

/// What `prune --json` prints.
struct PruneJSON: Encodable {
    struct Plan: Encodable {
        let strataToDelete: [String]
        let bytesToDelete: Int
        let strataToRepack: [String]
        let bytesToRepack: Int
        let strataToCompact: [String]
        let bytesToCompact: Int
        let strataKeptPartly: Int
        let unusedBytesKept: Int
        let liveBytes: Int
        let sizeBefore: Int
        let sizeAfter: Int
    }

    struct Deletion: Encodable {
        let strata: Int
        let bytes: Int
        let records: Int
        let rescued: [String]
    }

    let dryRun: Bool
    let snapshots: Int
    let liveKeys: Int
    let plan: Plan
    let repackedStrata: Int?
    let repackBytesWritten: Int?
    let condemnation: String?
    let deletion: Deletion?
    let deferred: String?
    let foldedRootRecords: Int
    let waitingRecords: Int
    let sizeBefore: Int
    let sizeAfter: Int
    let warnings: [String]

    init(_ report: PruneReport, options: PruneOptions) {
        let plan = report.plan
        dryRun = options.dryRun
        snapshots = report.snapshots
        liveKeys = report.liveKeys
        self.plan = Plan(strataToDelete: plan.condemn.map(\.name), bytesToDelete: plan.bytesToDelete,
                         strataToRepack: plan.repack.map(\.stratum.name), bytesToRepack: plan.bytesToRepack - plan.bytesToCompact,
                         strataToCompact: plan.compact.map(\.stratum.name), bytesToCompact: plan.bytesToCompact,
                         strataKeptPartly: plan.keptPartly.count, unusedBytesKept: plan.unusedKept, liveBytes: plan.liveBytes,
                         sizeBefore: plan.sizeBefore, sizeAfter: plan.sizeAfter)
        repackedStrata = report.repack?.repacked.count
        repackBytesWritten = report.repack?.bytesWritten
        condemnation = report.condemnation?.name
        foldedRootRecords = report.foldedRootRecords
        deletion = report.deletion.map {
            Deletion(strata: $0.strata, bytes: $0.bytes, records: $0.records, rescued: $0.rescued.map { Hex.encode($0) })
        }
        deferred = report.deferred
        waitingRecords = report.waiting.count
        sizeBefore = report.sizeBefore
        sizeAfter = report.sizeAfter
        warnings = report.warnings
    }
}
