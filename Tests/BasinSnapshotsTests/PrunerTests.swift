import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Prune end to end: what it reclaims, that it loses nothing, its two phases, the race with a
/// backup that deduplicated against condemned grains, and crashes at every step.
@Suite("Pruner: forget + prune, grace period, races, crashes")
struct PrunerTests {
    /// A fixture basin in memory with small strata.
    static func memoryRepository(_ backend: any Backend, encryption: PayloadAlgorithm = .none) async throws -> SnapshotRepository {
        let basin = try await Basin.create(backend: backend, password: "pw", options: SnapshotFixture.smallOptions(encryption: encryption),
                                           resolve: SnapshotFixture.noLanes)
        return SnapshotRepository(basin: basin)
    }

    static func reopen(_ backend: any Backend) async throws -> SnapshotRepository {
        SnapshotRepository(basin: try await Basin.open(backend: backend, password: "pw", resolve: SnapshotFixture.noLanes))
    }

    /// Keys of the grains the strata hold, by kind, each with its frame bytes.
    static func grains(_ basin: Basin, excluding kinds: Set<GrainKind> = [.snapshot]) async throws -> [Key: Int] {
        var grains: [Key: Int] = [:]
        for stratum in try await basin.inventory().strata {
            for entry in stratum.entries where !kinds.contains(entry.kind) {
                #expect(grains[entry.key] == nil, "grain \(entry.key) is stored twice")
                grains[entry.key] = Int(entry.length)
            }
        }
        return grains
    }

    func reopenedStrata(_ backend: any Backend) async throws -> Set<UInt64> {
        Set(try await Self.reopen(backend).basin.listStrata().map(\.id))
    }

    /// Every tree key reachable from `snapshots`, by a plain recursive walk.
    static func treeKeys(_ snapshots: [Snapshot], in repository: SnapshotRepository) async throws -> Set<Key> {
        var seen: Set<Key> = []
        var pending = try snapshots.map { try #require($0.record.treeKey) }
        while let key = pending.popLast() {
            guard seen.insert(key).inserted else { continue }
            pending += try await repository.loadTree(key).entries.filter { $0.type == .directory }.compactMap(\.content)
        }
        return seen
    }

    var treeOptions: TreeGenerator.Options {
        var options = TreeGenerator.Options()
        options.largeFileSizes = [1 << 20 + 4321, 600_000]
        return options
    }

    @Test("forget + prune leaves exactly the grains a fresh backup of the kept sources makes; kept snapshots restore identically")
    func forgetAndPrune() async throws {
        let scratch = try TestDirectory("prune")
        let one = scratch.path("one"), two = scratch.path("two"), three = scratch.path("three")
        var options = treeOptions
        _ = try TreeGenerator.generate(at: one, options: options)
        let summary = try TreeGenerator.generate(at: two, options: options)
        // Two starts as a copy of one, loses a large file and gains a tree of its own.
        try TestFileSystem.removeTree(TestFileSystem.join(Array(two.utf8), summary.largeFiles[0]))
        options.seed = 2
        _ = try TreeGenerator.generate(at: two + "/extra", options: options)
        options.seed = 3
        _ = try TreeGenerator.generate(at: three, options: options)

        let backend = MemoryBackend()
        let repository = try await Self.memoryRepository(backend)
        let reference = try await Self.memoryRepository(MemoryBackend())
        let first = try await SnapshotFixture.backUp(one, to: repository)
        let kept = [try await SnapshotFixture.backUp(two, to: repository), try await SnapshotFixture.backUp(three, to: repository)]
        // The reference basin backs up what is kept right after, so even the ancestors' trees match.
        _ = try await SnapshotFixture.backUp(two, to: reference)
        _ = try await SnapshotFixture.backUp(three, to: reference)
        try await repository.forget(first)

        let before = Maintenance.objects(backend)
        let report = try await Pruner(repository: repository, options: Maintenance.pruneEverything()).run()
        let after = Maintenance.objects(backend)
        let deletedStrata = before.filter { $0.key.hasSuffix(StratumName.suffix) && after[$0.key] == nil }
        let newStrata = after.filter { $0.key.hasSuffix(StratumName.suffix) && before[$0.key] == nil }
        let strataBytes = { (objects: [String: Int]) in objects.filter { $0.key.hasSuffix(StratumName.suffix) }.values.reduce(0, +) }

        // What was reclaimed is what the report says, and it is real.
        #expect(report.deletion?.bytes == deletedStrata.values.reduce(0, +))
        #expect(report.repack?.bytesWritten == newStrata.values.reduce(0, +))
        #expect(report.sizeBefore == strataBytes(before) && report.sizeAfter == strataBytes(after))
        #expect(report.sizeAfter < report.sizeBefore)
        // Exactly the file contents (and frame bytes) a fresh backup of the kept sources has,
        // and exactly the trees the kept snapshots reach: nothing unused is left, nothing used
        // is lost. (Trees are compared by reachability: the ancestors' trees, /tmp's among
        // them, change whenever anything else writes there.)
        let pruned = try await Self.grains(repository.basin, excluding: [.snapshot, .tree])
        let expected = try await Self.grains(reference.basin, excluding: [.snapshot, .tree])
        #expect(pruned.count == expected.count && pruned == expected, "\(Set(pruned.keys).symmetricDifference(expected.keys))")
        let trees = try await Self.grains(repository.basin, excluding: [.snapshot, .blob, .clast])
        #expect(Set(trees.keys) == (try await Self.treeKeys(kept, in: repository)))
        #expect(report.plan.liveBytes == pruned.values.reduce(0, +) + trees.values.reduce(0, +)
            + (try await Self.grains(repository.basin, excluding: [.tree, .blob, .clast])).values.reduce(0, +))

        let reopened = try await Self.reopen(backend)
        #expect(try await Maintenance.problems(reopened).isEmpty)
        for (snapshot, source) in zip(kept, [two, three]) {
            let target = scratch.path("restored-\(snapshot.shortID)")
            let restored = try await RestoreEngine(repository: reopened)
                .restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
            #expect(restored.isComplete, "\(restored.failures)")
            let differences = try TreeComparer.compare(source: source, restored: target)
            #expect(differences.isEmpty, "\(differences.map(\.description).joined(separator: "\n"))")
        }
    }

    @Test("a snapshot a concurrent forget removes between listing and reading is skipped, not an error")
    func listingRacesForget() async throws {
        let memory = MemoryBackend()
        let repository = try await Self.memoryRepository(memory)
        let gone = try await repository.saveFixtureSnapshot([.file("a", SplitMix64.bytes(1_000, seed: 1))], time: Date())
        let kept = try await repository.saveFixtureSnapshot([.file("b", SplitMix64.bytes(1_000, seed: 2))], time: Date())
        let faulty = FaultInjectingBackend(wrapping: memory)
        let reopened = try await Self.reopen(faulty)
        // The listing names it; the read finds it deleted, as after a forget in between.
        faulty.inject(.init(.fail(.notFound, "forgotten meanwhile"), on: [.read, .readRange, .stat], prefix: "snapshots/\(gone.id.hex)"))
        #expect(try await reopened.list().map(\.id) == [kept.id])
        // A damaged ref is named, and its snapshot read from its snapshot grain.
        faulty.removeAllFaults()
        faulty.inject(.init(.fail(.corrupted, "bad"), on: [.read, .readRange], prefix: "snapshots/\(gone.id.hex)"))
        let listing = try await reopened.listing()
        let listed: Set<Key> = Set(listing.snapshots.map(\.id))
        #expect(listed == [gone.id, kept.id])
        #expect(listing.damaged.map(\.name) == ["snapshots/\(gone.id.hex)"] && listing.unrecoverable.isEmpty)
        // Other errors still fail the listing.
        faulty.removeAllFaults()
        faulty.inject(.init(.fail(.unavailable, "server down"), on: [.read, .readRange], prefix: "snapshots/\(gone.id.hex)"))
        await #expect(throws: BasinError.self) { try await reopened.list() }
    }

    @Test("two phases: a run within the grace period only condemns; a later run deletes; check passes throughout")
    func gracePeriod() async throws {
        let backend = MemoryBackend()
        let repository = try await Self.memoryRepository(backend)
        let old = try await repository.saveFixtureSnapshot([.file("old", SplitMix64.bytes(300_000, seed: 1))], time: Date())
        _ = try await repository.saveFixtureSnapshot([.file("new", SplitMix64.bytes(200_000, seed: 2))], time: Date())
        try await repository.forget(old)
        let strataBefore = Maintenance.objects(backend).keys.filter { $0.hasSuffix(StratumName.suffix) }

        var options = PruneOptions()
        options.plan.maxUnused = 0
        let first = try await Pruner(repository: repository, options: options).run()
        #expect(first.deletion == nil && first.condemnation != nil)
        #expect(first.waiting.count == 1 && first.due.isEmpty)
        let condemned = try #require(first.condemnation).record.stratumIDs
        #expect(!condemned.isEmpty)
        let strataAfterFirst = Maintenance.objects(backend).keys.filter { $0.hasSuffix(StratumName.suffix) }
        #expect(Set(strataBefore).isSubset(of: Set(strataAfterFirst)), "nothing is deleted within the grace period")
        #expect(try await Maintenance.problems(try await Self.reopen(backend)).isEmpty)

        // A second run in the grace period condemns nothing more and deletes nothing.
        let second = try await Pruner(repository: repository, options: options).run()
        #expect(second.condemnation == nil && second.deletion == nil)
        #expect(second.plan.pending.count == condemned.count)

        options.gracePeriod = 0
        var dry = options
        dry.dryRun = true
        let planned = try await Pruner(repository: repository, options: dry).run()
        #expect(planned.due.count == 1 && planned.deletion == nil)
        let third = try await Pruner(repository: repository, options: options).run()
        #expect(third.deletion?.strata == condemned.count && third.deletion?.records == 1)
        let remaining = try await repository.basin.listStrata().map(\.id)
        #expect(condemned.isDisjoint(with: remaining))
        #expect(try await repository.basin.condemnations().records.isEmpty)
        let reopened = try await Self.reopen(backend)
        #expect(try await Maintenance.problems(reopened).isEmpty)
        #expect(try await Maintenance.files(of: reopened.resolve("latest"), in: reopened)["/new"] == SplitMix64.bytes(200_000, seed: 2))
    }

    @Test("a backup started before the condemnation that reuses condemned grains keeps them: deletion waits for it, then rescues them")
    func condemnedButReferenced() async throws {
        let backend = MemoryBackend()
        let setup = try await Self.memoryRepository(backend)
        let shared = SplitMix64.bytes(400_000, seed: 11)
        let old = try await setup.saveFixtureSnapshot([.file("shared", shared)], time: Date())
        _ = try await setup.saveFixtureSnapshot([.file("other", SplitMix64.bytes(10_000, seed: 12))], time: Date())
        try await setup.forget(old)
        let oldRoot = try #require(old.record.treeKey)
        let sharedKey = try #require(try await setup.loadTree(oldRoot).entries.first?.content)

        // A backup process starts: it takes its lock and knows the shared grains from its index.
        var backup = try await Self.reopen(backend)
        let backupLock = try await backup.basin.lock(exclusive: false, operation: "backup")
        backup.lock = backupLock
        #expect(await backup.basin.has(sharedKey))

        // Prune condemns them (no snapshot reaches them now), but cannot delete while the backup runs.
        let pruner = Pruner(repository: try await Self.reopen(backend), options: Maintenance.pruneEverything())
        let first = try await pruner.run()
        let condemned = try #require(first.condemnation).record.stratumIDs
        #expect(first.deletion == nil)
        #expect(first.deferred?.contains("backup") == true)
        let holding = try await setup.basin.inventory().strata.filter { $0.entries.contains { $0.key == sharedKey } }.map(\.id)
        #expect(!holding.isEmpty && Set(holding).isSubset(of: condemned))

        // The backup deduplicates against the condemned grains and commits its snapshot.
        let written = await backup.basin.written
        let reused = try await backup.saveFixtureSnapshot([.file("shared again", shared)], time: Date())
        #expect(await backup.basin.written.grains - written.grains <= 3, "the content was not stored again")
        await backupLock.release()

        // The next prune deletes what is still unused and keeps what the new snapshot reaches.
        let second = try await pruner.run()
        let deletion = try #require(second.deletion)
        #expect(Set(holding).isSubset(of: Set(deletion.rescued)))
        let allCondemned = condemned.union(second.condemnation?.record.stratumIDs ?? [])
        #expect(deletion.strata == allCondemned.count - deletion.rescued.count)
        #expect(try await reopenedStrata(backend).isDisjoint(with: allCondemned.subtracting(deletion.rescued)))
        let reopened = try await Self.reopen(backend)
        #expect(try await Maintenance.problems(reopened).isEmpty)
        #expect(try await reopened.basin.get(sharedKey) == shared)
        #expect(try await Maintenance.files(of: reused, in: reopened)["/shared again"] == shared)
    }

    @Test("a backup whose lock was lost does not publish its snapshot")
    func lostLockPublishesNothing() async throws {
        let backend = MemoryBackend()
        var repository = try await Self.memoryRepository(backend)
        let lock = try await repository.basin.lock(exclusive: false, operation: "backup")
        repository.lock = lock
        _ = try await repository.basin.removeLocks(all: true)
        try? await lock.refresh()
        await #expect(throws: BasinError.self) {
            try await repository.saveFixtureSnapshot([.file("f", SplitMix64.bytes(1000, seed: 1))], time: Date())
        }
        #expect(try await repository.list().isEmpty)
        await lock.release()
    }

    @Test("a prune that cannot read a tree because the backend fails reports the backend's error, not corruption")
    func transientTreeReadFailure() async throws {
        let memory = MemoryBackend()
        let repository = try await Self.memoryRepository(memory)
        _ = try await repository.saveFixtureSnapshot([.directory("d", [.file("f", SplitMix64.bytes(1000, seed: 1))])], time: Date())
        // The meta-lane reads listing the snapshots takes pass; the tree reads after them fail.
        let counter = FaultInjectingBackend(wrapping: memory)
        _ = try await Self.reopen(counter).listing()
        let listingReads = counter.calls(.read, .readRange, prefix: "meta/")
        let faulty = FaultInjectingBackend(wrapping: memory)
        let reopened = try await Self.reopen(faulty)
        faulty.inject(.init(.serverError, on: [.read, .readRange], prefix: "meta/", skip: listingReads))
        let error = await #expect(throws: BasinError.self) {
            try await Pruner(repository: reopened, options: Maintenance.pruneEverything()).run()
        }
        #expect(error?.code == .unavailable, "\(String(describing: error))")
        #expect(error?.message.contains("HTTP 500") == true, "\(String(describing: error))")
        faulty.removeAllFaults()
        #expect(try await Maintenance.problems(try await Self.reopen(memory)).isEmpty, "the failed prune changed nothing")
    }
}
