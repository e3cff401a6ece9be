import ArgumentParser
import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove snapshots, by id or by a policy (refs only: the data stays until prune).",
        discussion: """
            A policy is applied to each group of snapshots (--group-by, default host,paths), \
            newest first: each --keep-* rule keeps the newest snapshot of each of the last N \
            hours, days, ISO weeks, months or years (local time) that hold one (-1: all of them); \
            --keep-within keeps snapshots newer than the newest minus the duration; --keep-tag \
            keeps snapshots with all the tags of a list. A snapshot kept by any rule is kept.
            Forget removes only snapshot refs: the space comes back with prune.
            """)

    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var filters: SnapshotFilterOptions

    @Argument(help: "Snapshots to remove: ids, unique id prefixes or 'latest' (instead of a policy).")
    var ids: [String] = []

    @Option(name: [.customShort("l"), .customLong("keep-last")], parsing: .unconditional, help: ArgumentHelp("Keep the last N snapshots.", valueName: "N"))
    var keepLast: Int?
    @Option(name: [.customShort("H"), .customLong("keep-hourly")], parsing: .unconditional, help: ArgumentHelp("Keep the last N hourly snapshots.", valueName: "N"))
    var keepHourly: Int?
    @Option(name: [.customShort("d"), .customLong("keep-daily")], parsing: .unconditional, help: ArgumentHelp("Keep the last N daily snapshots.", valueName: "N"))
    var keepDaily: Int?
    @Option(name: [.customShort("w"), .customLong("keep-weekly")], parsing: .unconditional, help: ArgumentHelp("Keep the last N weekly snapshots.", valueName: "N"))
    var keepWeekly: Int?
    @Option(name: [.customShort("m"), .customLong("keep-monthly")], parsing: .unconditional, help: ArgumentHelp("Keep the last N monthly snapshots.", valueName: "N"))
    var keepMonthly: Int?
    @Option(name: [.customShort("y"), .customLong("keep-yearly")], parsing: .unconditional, help: ArgumentHelp("Keep the last N yearly snapshots.", valueName: "N"))
    var keepYearly: Int?

    @Option(name: .customLong("keep-within"), help: ArgumentHelp("Keep snapshots newer than the newest minus this duration (1y5m7d2h).", valueName: "DURATION"))
    var keepWithin: String?

    @Option(name: .customLong("keep-tag"), help: ArgumentHelp("Keep snapshots with all of these tags (repeatable).", valueName: "TAG[,TAG…]"))
    var keepTags: [String] = []

    @Option(name: [.customShort("g"), .customLong("group-by")], help: ArgumentHelp("Group by host, paths and/or tags; '' for one group.", valueName: "GROUPING"))
    var groupBy = "host,paths"

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Only print what would be removed.")
    var dryRun = false

    @Flag(name: [.short, .long], help: "Only ID, time, host and tags in tables.")
    var compact = false

    @Flag(help: "Print a JSON array: per group, the snapshots kept (with reasons) and removed.")
    var json = false

    @Flag(help: "Run prune afterwards (with the prune options below).")
    var prune = false

    @OptionGroup(title: "Prune options (with --prune)") var pruneOptions: PruneOptionGroup

    /// One group's decision as `--json` prints it (restic's shape).
    struct GroupJSON: Encodable {
        struct Reason: Encodable {
            let snapshot: String
            let matches: [String]
        }

        let host: String?
        let paths: [String]?
        let tags: [String]?
        let keep: [SnapshotJSON]
        let remove: [SnapshotJSON]
        let reasons: [Reason]
        let dryRun: Bool
    }

    var policy: ForgetPolicy {
        get throws {
            let rules: [(ForgetPolicy.Rule, Int?)] = [(.last, keepLast), (.hourly, keepHourly), (.daily, keepDaily),
                                                      (.weekly, keepWeekly), (.monthly, keepMonthly), (.yearly, keepYearly)]
            var counts: [ForgetPolicy.Rule: Int] = [:]
            for case let (rule, count?) in rules {
                guard count >= -1 else { throw ValidationError("--keep-\(rule.rawValue) takes a count ≥ 0, or -1 for all") }
                counts[rule] = count
            }
            let within = try keepWithin.map { text throws(BasinError) in try KeepDuration(parsing: text) }
            return ForgetPolicy(counts: counts, within: within, tags: SnapshotFilter.tagLists(keepTags))
        }
    }

    func validate() throws {
        let policy: ForgetPolicy
        do { policy = try self.policy } catch let error as BasinError { throw ValidationError(error.message) }
        if !ids.isEmpty, !policy.isEmpty {
            throw ValidationError("give snapshot ids or a --keep-* policy, not both")
        }
        if ids.isEmpty, policy.isEmpty {
            throw ValidationError("no snapshots given and no policy: use snapshot ids or --keep-* options (nothing was removed)")
        }
        do { _ = try SnapshotGrouping(parsing: groupBy) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        try await BasinCommand.reportingErrors {
            let basin = try await repository.withLockedBasin(operation: "forget") { basin, _ in
                try await forget(SnapshotRepository.reporting(basin))
                return basin
            }
            guard prune else { return }
            if dryRun {
                print("dry run: prune skipped")
                return
            }
            var options = try pruneOptions.pruneOptions(dryRun: false)
            options.lockPolicy = try repository.lockPolicy
            let report = try await Pruner(repository: SnapshotRepository.reporting(basin), options: options).run()
            try PruneCommand.show(report, options: options, json: json)
        }
    }

    private func forget(_ snapshots: SnapshotRepository) async throws {
        let listing = try await snapshots.listing()
        let all = listing.snapshots
        var groups: [GroupJSON] = []
        var doomed: [Snapshot] = []
        var doomedRefs: [DamagedRef] = []
        if ids.isEmpty {
            let policy = try self.policy
            let grouping = try SnapshotGrouping(parsing: groupBy)
            if !json { print("Applying policy: \(policy.summary)") }
            for group in grouping.groups(of: all.filter(filters.filter.matches)) {
                let decision = policy.apply(to: group.snapshots)
                doomed += decision.remove
                if json {
                    groups.append(GroupJSON(host: group.key.host, paths: group.key.paths, tags: group.key.tags,
                                            keep: decision.keep.map { SnapshotJSON($0.snapshot) },
                                            remove: decision.remove.map { SnapshotJSON($0) },
                                            reasons: decision.keep.map { .init(snapshot: $0.snapshot.id.hex, matches: $0.reasons) },
                                            dryRun: dryRun))
                } else {
                    printGroup(group.key, decision)
                }
            }
        } else {
            for id in ids {
                if let damaged = Self.unlistedRef(id, in: listing) {
                    if !doomedRefs.contains(where: { $0.name == damaged.name }) { doomedRefs.append(damaged) }
                    continue
                }
                let snapshot = try await filters.resolve(id, in: snapshots, among: all)
                if !doomed.contains(snapshot) { doomed.append(snapshot) }
            }
            groups.append(GroupJSON(host: nil, paths: nil, tags: nil, keep: [], remove: doomed.map { SnapshotJSON($0) },
                                    reasons: [], dryRun: dryRun))
        }
        if !dryRun {
            for snapshot in doomed { try await snapshots.forget(snapshot) }
            for damaged in doomedRefs { try await snapshots.basin.deleteObject(damaged.name) }
        }
        for damaged in doomedRefs {
            // stdout holds only the JSON array with --json.
            let line = "\(dryRun ? "would remove" : "removed") the damaged snapshot ref \(damaged.name)"
            if json { StandardStreams.printError("basin: " + line) } else { print(line) }
        }
        if json {
            print(try Format.json(groups, pretty: true))
            return
        }
        let verb = dryRun ? "would remove" : "removed"
        for snapshot in doomed where !ids.isEmpty { print("\(verb) snapshot \(snapshot.shortID)") }
        if doomed.isEmpty {
            if doomedRefs.isEmpty { print("no snapshots to remove") }
        } else if dryRun {
            print("dry run: \(doomed.count) snapshot\(doomed.count == 1 ? "" : "s") would be removed; nothing was changed")
        } else {
            print("removed \(doomed.count) snapshot\(doomed.count == 1 ? "" : "s") (refs only): their data stays in the basin until prune")
        }
    }

    /// The damaged ref `id` names when it names no listed snapshot and exactly one ref whose
    /// snapshot could not be recovered: such a ref is not listed, but forgetting it is the way out.
    static func unlistedRef(_ id: String, in listing: SnapshotListing) -> DamagedRef? {
        let prefix = id.lowercased()
        guard id != "latest", !listing.snapshots.contains(where: { $0.id.hex.hasPrefix(prefix) }) else { return nil }
        let matches = listing.unrecoverable.filter { $0.idText.hasPrefix(prefix) }
        return matches.count == 1 ? matches.first : nil
    }

    private func printGroup(_ key: SnapshotGrouping.Key, _ decision: ForgetDecision) {
        print("")
        if !key.description.isEmpty { print("snapshots for \(key.description):") }
        let kept = decision.keep.reversed().map(\.snapshot)
        let reasons = Dictionary(uniqueKeysWithValues: decision.keep.map { ($0.snapshot.id, $0.reasons) })
        print("keep \(kept.count) snapshot\(kept.count == 1 ? "" : "s"):")
        print(SnapshotTable(snapshots: kept, reasons: compact ? nil : reasons, compact: compact).render())
        if !decision.remove.isEmpty {
            print("\(dryRun ? "would remove" : "remove") \(decision.remove.count) snapshot\(decision.remove.count == 1 ? "" : "s"):")
            print(SnapshotTable(snapshots: decision.remove.reversed(), compact: compact).render())
        }
        print("")
    }
}
