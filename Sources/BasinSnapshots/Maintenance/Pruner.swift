import BasinBackend
import BasinCore
import BasinStore
import Foundation

/// Prune and compaction in two phases (docs/FORMAT.md, "Prune"):
///
/// 1. **Condemn**, under a shared lock (backups may run meanwhile): mark every key the
///    snapshots and roots reach (reading the meta lane only), plan per stratum, write the live grains
///    of partly dead strata, and of small strata (compaction), again into new strata, then
///    write a condemnation record naming the wholly dead, the repacked and the compacted
///    strata. Nothing is deleted.
/// 2. **Delete**, under an exclusive lock (no backup runs): for each condemnation record
///    whose grace period has passed, mark again from the snapshots that exist now, rescue
///    any condemned stratum holding the last copy of a key they reach, make the index cover
///    only the strata that stay, delete the others, then the record.
///
/// Every step only adds objects or deletes what the next step no longer needs, so killing
/// the process at any point loses nothing: the next prune finishes the work.
public struct Pruner: Sendable {
    public let repository: SnapshotRepository
    public var options: PruneOptions

    public init(repository: SnapshotRepository, options: PruneOptions = PruneOptions()) {
        self.repository = repository
        self.options = options
    }

    var basin: Basin { repository.basin }

    /// Runs both phases (only planning for a dry run).
    /// - Returns: what was planned and done.
    /// - Throws: `.locked` when the first phase cannot take its shared lock; `.corrupted` when
    ///   a tree or clast the snapshots reach cannot be read (nothing is planned then); the
    ///   backend's errors. A delete phase that cannot take its exclusive lock is not an error:
    ///   the report says it was deferred.
    public func run() async throws(BasinError) -> PruneReport {
        let shared = try await basin.lock(exclusive: false, operation: options.dryRun ? "prune --dry-run" : "prune",
                                          policy: options.lockPolicy, holder: options.holder)
        var report: PruneReport
        do {
            report = try await condemnPhase(lock: shared)
        } catch {
            await shared.release()
            throw error
        }
        await shared.release()
        if options.dryRun { return report }
        try await deletePhase(&report)
        try await foldRoots(&report)
        report.sizeAfter = try await basin.listStrata().reduce(0) { $0 + $1.size }
        return report
    }

    /// Every key the snapshots and the roots (stored values, names) reach now. A damaged ref
    /// counts through its snapshot grain.
    /// - Throws: `.corrupted` when a tree, clast or root record cannot be read, or a damaged
    ///   ref's snapshot grain cannot either, so what lies below it is unknown.
    func mark() async throws(BasinError) -> (snapshots: Int, live: Set<Key>, warnings: [String]) {
        let listing = try await repository.listing()
        if let damaged = listing.unrecoverable.first {
            throw BasinError(.corrupted, """
                prune changed nothing: snapshot ref \(damaged.name) is damaged and its snapshot grain cannot be read, \
                so what that snapshot reaches is unknown; remove the ref (basin forget \(damaged.idText.prefix(8)), \
                or basin repair snapshots) and prune again
                """, underlying: damaged.error)
        }
        let snapshots = listing.snapshots
        let roots = try await basin.roots()
        // A backup or put may have committed since the index was loaded: every stratum a
        // listed snapshot or root record reaches was durable before it, so reloading now
        // finds them all.
        try await basin.reloadIndex()
        let walked = await ReachabilityWalker(repository: repository).walk(snapshots, roots: roots.state)
        if let failure = walked.backendFailure {
            throw BasinError(failure.code, "prune stopped before changing anything: it cannot read what the snapshots reach: \(failure.message)",
                             underlying: failure)
        }
        guard walked.isComplete else {
            let first = walked.problems.first.map(\.description) ?? "unknown"
            throw BasinError(.corrupted, "prune stopped before changing anything: it cannot tell what the snapshots reach (\(first)); run basin check")
        }
        return (snapshots.count, walked.keys, walked.problems.map(\.description))
    }

    func condemnPhase(lock: BasinLock) async throws(BasinError) -> PruneReport {
        // The inventory first: a stratum committed after it is not planned at all, whatever
        // the snapshots listed next reach.
        let inventory = try await basin.inventory()
        let marked = try await mark()
        let (records, unreadable) = try await basin.condemnations()
        let pending = records.reduce(into: Set<UInt64>()) { $0.formUnion($1.record.stratumIDs) }
        let plan = PrunePlan.make(inventory: inventory, live: marked.live, pending: pending,
                                  preferred: { basin.locate($0)?.stratum }, settings: options.plan,
                                  targetSize: basin.config.stratumTargetSize)
        var report = PruneReport(snapshots: marked.snapshots, liveKeys: marked.live.count, plan: plan)
        report.warnings = marked.warnings + unreadable.map { "\($0.message) (its strata are kept)" }
        report.sizeBefore = inventory.totalBytes
        report.sizeAfter = report.sizeBefore
        let now = Date()
        report.due = records.filter { $0.isDue(now: now, gracePeriod: options.gracePeriod) }
        report.waiting = records.filter { !$0.isDue(now: now, gracePeriod: options.gracePeriod) }
        if options.dryRun { return report }

        var condemned = plan.condemn
        if !plan.repack.isEmpty || !plan.compact.isEmpty {
            // Repacked and compacted grains go through the same writers, so they fill the
            // same new strata.
            let repacked = try await basin.repack(plan.repack + plan.compact)
            report.warnings += repacked.problems.map { "not repacked: \($0.message)" }
            condemned += repacked.repacked
            report.repack = repacked
        }
        if !condemned.isEmpty {
            try lock.ensureHeld()
            report.condemnation = try await basin.condemn(condemned)
        }
        return report
    }

    /// Replaces the root records by one checkpoint, under an exclusive lock so no `put` or
    /// `rm` commits meanwhile (their records would otherwise fold before the checkpoint).
    /// Deferred, like deletion, when another process holds a lock.
    func foldRoots(_ report: inout PruneReport) async throws(BasinError) {
        guard try await basin.roots().records.count > 1 else { return }
        let exclusive: BasinLock
        do {
            exclusive = try await basin.lock(exclusive: true, operation: "prune (fold roots)", policy: options.lockPolicy,
                                             holder: options.holder)
        } catch where error.code == .locked {
            report.warnings.append("the root records were not folded: \(error.message)")
            return
        }
        do {
            report.foldedRootRecords = try await basin.foldRoots(lock: exclusive)
        } catch {
            await exclusive.release()
            throw error
        }
        await exclusive.release()
    }

    func deletePhase(_ report: inout PruneReport) async throws(BasinError) {
        let (records, _) = try await basin.condemnations()
        let now = Date()
        let due = records.filter { $0.isDue(now: now, gracePeriod: options.gracePeriod) }
        report.due = due
        report.waiting = records.filter { !$0.isDue(now: now, gracePeriod: options.gracePeriod) }
        guard !due.isEmpty else { return }
        let exclusive: BasinLock
        do {
            exclusive = try await basin.lock(exclusive: true, operation: "prune (delete)", policy: options.lockPolicy,
                                             holder: options.holder)
        } catch where error.code == .locked {
            report.deferred = error.message
            return
        }
        do {
            let marked = try await mark()
            let inventory = try await basin.inventory()
            let condemned = due.reduce(into: Set<UInt64>()) { $0.formUnion($1.record.stratumIDs) }
            let (delete, rescued) = PrunePlan.deletable(condemned: condemned, inventory: inventory, live: marked.live)
            let bytes = try await basin.deleteCondemned(delete, inventory: inventory, records: due, lock: exclusive)
            report.deletion = PruneReport.Deletion(strata: delete.count, bytes: bytes, records: due.count, rescued: rescued.sorted())
        } catch {
            await exclusive.release()
            throw error
        }
        await exclusive.release()
    }
}
