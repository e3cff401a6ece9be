import BasinBackend
import BasinCore
import BasinLocal
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Crash safety and concurrency of prune: a prune killed at any write or delete loses
/// nothing and leaves a basin check passes; prune and backup running at once lose nothing.
@Suite("Prune: crashes at every step, concurrent backups, cold data lane")
struct PruneCrashTests {
    /// Three snapshots sharing content; the first and last are forgotten, so a prune has
    /// wholly and partly dead strata in both lanes.
    static func setUp(_ backend: MemoryBackend) async throws -> (kept: Snapshot, files: [String: [UInt8]]) {
        let repository = try await PrunerTests.memoryRepository(backend, encryption: .chacha20Poly1305)
        let a = Node.file("a", SplitMix64.bytes(150_000, seed: 1))
        let b = Node.file("b", SplitMix64.bytes(90_000, seed: 2))
        let c = Node.file("c", SplitMix64.bytes(40_000, seed: 3))
        let d = Node.file("d", SplitMix64.bytes(120_000, seed: 4))
        let first = try await repository.saveFixtureSnapshot([.directory("x", [a, b]), c], time: Date())
        let keptNodes: [Node] = [.directory("x", [a]), .directory("y", [d]), c]
        let kept = try await repository.saveFixtureSnapshot(keptNodes, time: Date())
        let last = try await repository.saveFixtureSnapshot([.file("e", SplitMix64.bytes(200_000, seed: 5))], time: Date())
        try await repository.forget(first)
        try await repository.forget(last)
        return (kept, Maintenance.files(of: keptNodes))
    }

    /// A basin after a finished prune holds each live key once and nothing else.
    static func expectTidy(_ repository: SnapshotRepository, _ label: String) async throws {
        let live = await ReachabilityWalker(repository: repository).walk(try await repository.list()).keys
        var stored: [Key] = []
        for stratum in try await repository.basin.inventory().strata { stored += stratum.entries.map(\.key) }
        #expect(stored.count == Set(stored).count && Set(stored) == live, "\(label): the basin holds unused or duplicate grains")
        #expect(try await repository.basin.condemnations().records.isEmpty, "\(label): condemnation records left")
    }

    @Test("a prune killed before or after any write or delete loses nothing; the next prune finishes")
    func crashAtEveryStep() async throws {
        let memory = MemoryBackend()
        let (kept, files) = try await Self.setUp(memory)
        let initial = memory.snapshot()

        let counter = FaultInjectingBackend(wrapping: memory)
        _ = try await Pruner(repository: try await PrunerTests.reopen(counter), options: Maintenance.pruneEverything()).run()
        let total = counter.mutationCount
        #expect(total > 10)
        try await Self.expectTidy(try await PrunerTests.reopen(memory), "uninterrupted")

        var interrupted = 0
        for point in 0..<total {
            for takesEffect in [false, true] {
                let label = "crash \(takesEffect ? "after" : "before") mutation \(point) of \(total)"
                memory.restore(initial)
                let faulty = FaultInjectingBackend(wrapping: memory)
                let repository = try await PrunerTests.reopen(faulty)
                faulty.injectCrash(atMutation: point, takesEffect: takesEffect)
                // Deleting its own lock object is best effort: a crash there is no error.
                do {
                    _ = try await Pruner(repository: repository, options: Maintenance.pruneEverything(holder: Maintenance.deadHolder)).run()
                } catch {
                    interrupted += 1
                }
                faulty.removeAllFaults()

                let afterCrash = try await PrunerTests.reopen(memory)
                let problems = try await Maintenance.problems(afterCrash)
                #expect(problems.isEmpty, "\(label): \(problems)")
                #expect(try await Maintenance.files(of: kept, in: afterCrash) == files, "\(label)")

                _ = try await Pruner(repository: afterCrash, options: Maintenance.pruneEverything()).run()
                let finished = try await PrunerTests.reopen(memory)
                #expect(try await Maintenance.problems(finished).isEmpty, "\(label), then a whole prune")
                #expect(try await Maintenance.files(of: kept, in: finished) == files, "\(label), then a whole prune")
                try await Self.expectTidy(finished, label)
            }
        }
        #expect(interrupted >= 2 * total - 4, "most crash points interrupt the prune")
    }

    @Test("prune (with forget) running while backups run on one basin directory loses nothing of either")
    func pruneWhileBackingUp() async throws {
        let scratch = try TestDirectory("concurrent")
        let location = scratch.path("basin")
        _ = try await Basin.create(backend: try LocalBackend(directory: location, create: true), password: nil,
                                   options: SnapshotFixture.smallOptions(), resolve: SnapshotFixture.noLanes)
        let rounds = 4
        var made: [String] = []
        for round in 0..<rounds {
            let source = scratch.path("source\(round)")
            try TestFileSystem.makeDirectory(Array(source.utf8))
            // Content shared by all, content that comes back every other round (dead in
            // between: a prune may condemn it just as a backup reuses it), and its own.
            for (name, seed, size) in [("common", 100, 300_000), ("cycle", round % 2, 400_000), ("own", 10 + round, 150_000)] {
                try TestFileSystem.writeFile(Array("\(source)/\(name)".utf8), SplitMix64.bytes(size, seed: UInt64(seed)))
            }
            made.append(source)
        }
        let sources = made
        let open = { @Sendable () async throws -> SnapshotRepository in
            SnapshotRepository(basin: try await Basin.open(backend: try LocalBackend(directory: location, create: false),
                                                           password: nil, resolve: SnapshotFixture.noLanes))
        }
        async let backups: [String] = {
            var snapshots: [String] = []
            for source in sources {
                var repository = try await open()
                // Waits while a prune deletes (restic's --retry-lock).
                var policy = LockPolicy()
                policy.retryFor = 120
                let lock = try await repository.basin.lock(exclusive: false, operation: "backup", policy: policy)
                repository.lock = lock
                do {
                    let result = try await BackupEngine(repository: repository, options: BackupOptions(paths: [source])).run()
                    snapshots.append(try #require(result.snapshot).id.hex)
                } catch {
                    await lock.release()
                    throw error
                }
                await lock.release()
            }
            return snapshots
        }()
        async let prunes: [PruneReport] = {
            var reports: [PruneReport] = []
            for _ in 0..<rounds {
                let repository = try await open()
                var policy = LockPolicy()
                policy.retryFor = 120
                let lock = try await repository.basin.lock(exclusive: false, operation: "forget", policy: policy)
                for snapshot in try await repository.list().dropLast(2) { try await repository.forget(snapshot) }
                await lock.release()
                reports.append(try await Pruner(repository: repository, options: Maintenance.pruneEverything()).run())
                await Task.yield()
            }
            return reports
        }()
        let backedUp = try await backups
        let reports = try await prunes
        #expect(backedUp.count == rounds && reports.count == rounds)

        let final = try await open()
        _ = try await Pruner(repository: final, options: Maintenance.pruneEverything()).run()
        let repository = try await open()
        #expect(try await Maintenance.problems(repository).isEmpty)
        let remaining = try await repository.list()
        #expect(remaining.map(\.id.hex) == Array(backedUp.suffix(remaining.count)) && remaining.count >= 2)
        for snapshot in remaining.suffix(2) {
            let source = try #require(sources.first { snapshot.record.paths == [$0] })
            let target = scratch.path("restored-\(snapshot.shortID)")
            let report = try await RestoreEngine(repository: repository)
                .restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
            #expect(report.isComplete)
            let differences = try TreeComparer.compare(source: source, restored: target)
            #expect(differences.isEmpty, "\(differences)")
        }
    }

    @Test("opening, stats, check of the structure and planning and running a prune that never repacks data send no read to the data lane")
    func coldDataLane() async throws {
        let main = FaultInjectingBackend(wrapping: MemoryBackend())
        let data = FaultInjectingBackend(wrapping: MemoryBackend())
        let resolve: BackendResolver = { _ throws(BasinError) in data }
        var options = SnapshotFixture.smallOptions(encryption: .chacha20Poly1305)
        options.laneLocations = ["data": "cold"]
        let repository = SnapshotRepository(basin: try await Basin.create(backend: main, password: "pw", options: options, resolve: resolve))
        let gone = try await repository.saveFixtureSnapshot([.file("gone", SplitMix64.bytes(1_500_000, seed: 1))], time: Date())
        let keptNodes: [Node] = [.file("kept", SplitMix64.bytes(300_000, seed: 2))]
        _ = try await repository.saveFixtureSnapshot(keptNodes, time: Date())
        try await repository.forget(gone)
        let dataStrata = try await data.list(prefix: "data/").count
        #expect(dataStrata >= 3)

        data.resetCounters()
        main.resetCounters()
        let reopened = SnapshotRepository(basin: try await Basin.open(backend: main, password: "pw", resolve: resolve))
        let statistics = try await reopened.basin.statistics()
        #expect(statistics.lanes["data"]?.strata == dataStrata)
        #expect((statistics.lanes["data"]?.rawBytes ?? 0) >= 1_800_000)
        let check = try await Checker(basin: reopened.basin).run()
        #expect(check.problems.isEmpty, "\(check.problems)")
        #expect(try await SnapshotChecker(repository: reopened).run(inventory: check.inventory).problems.isEmpty)
        var prune = Maintenance.pruneEverything()
        prune.plan.repackData = false
        let report = try await Pruner(repository: reopened, options: prune).run()
        // Listing the data lane is no read (S3 lists objects in any storage class); nothing else touched it.
        #expect(data.calls(.read, .readRange, .stat) == 0)
        #expect(data.calls(.list) > 0 && data.calls(.delete) > 0)
        #expect(main.calls(.read, .readRange, .stat, prefix: "meta/") > 0, "the meta lane is read instead")
        let remaining = try await data.list(prefix: "data/").count
        #expect(remaining < dataStrata && report.plan.repack.allSatisfy { $0.stratum.lane == .meta })

        // The counter does see data reads: reading the kept file's content is some.
        #expect(try await Maintenance.files(of: reopened.resolve("latest"), in: reopened) == Maintenance.files(of: keptNodes))
        #expect(data.calls(.read, .readRange) > 0)
        let after = SnapshotRepository(basin: try await Basin.open(backend: main, password: "pw", resolve: resolve))
        #expect(try await Maintenance.problems(after, readData: .all).isEmpty)
    }
}
