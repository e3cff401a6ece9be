import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Roots (docs/FORMAT.md §13) through the library: prune keeps stored values and named keys,
/// reclaims what `rm` released, and folds the root records, crash-safely.
@Suite("Roots: prune keeps stored values and names; the fold survives crashes")
struct RootsTests {
    /// Values in a basin of `memory`: a blob and clasts, stored, named and released in three records.
    static func setUp(_ memory: MemoryBackend) async throws -> (state: RootState, values: [Key: [UInt8]], released: Key) {
        let repository = try await PrunerTests.memoryRepository(memory, encryption: .chacha20Poly1305)
        let basin = repository.basin
        var values: [Key: [UInt8]] = [:]
        var keys: [Key] = []
        try await basin.batch { () async throws(BasinError) -> [RootRecord.Operation] in
            for (size, seed) in [(1000, 1), (150_000, 2), (100_000, 3), (80_000, 4)] {
                let value = SplitMix64.bytes(size, seed: UInt64(seed))
                let key = try await basin.writeValue(value)
                values[key] = value
                keys.append(key)
            }
            return [.addKey(keys[0]), .addKey(keys[1]), .addKey(keys[3])]
        }
        let lock = try await basin.lock(exclusive: false, operation: "names")
        try await basin.commitRoots([.setName("photos/a", keys[2]), .setName("photos/b", keys[0])], lock: lock)
        try await basin.commitRoots([.removeKey(keys[3]), .removeName("photos/b")], lock: lock)
        await lock.release()
        values[keys[3]] = nil
        return (RootState(keys: [keys[0], keys[1]], names: ["photos/a": keys[2]]), values, keys[3])
    }

    /// The basin holds `state` and every value of `values` (read back whole), and `check` finds nothing.
    static func expectKept(_ memory: MemoryBackend, _ state: RootState, _ values: [Key: [UInt8]], _ label: String) async throws {
        let repository = try await PrunerTests.reopen(memory)
        #expect(try await repository.basin.roots().state == state, "\(label)")
        for (key, value) in values {
            #expect(try await repository.basin.get(key) == value, "\(label): value \(key)")
        }
        // The values were read whole above: check needs not read the data lane again.
        let problems = try await Maintenance.problems(repository, readData: .none)
        #expect(problems.isEmpty, "\(label): \(problems)")
    }

    @Test("prune keeps stored values and named keys (and their chunks), reclaims what rm released, and folds the records into one")
    func pruneKeepsRoots() async throws {
        let memory = MemoryBackend()
        let (state, values, released) = try await Self.setUp(memory)
        let repository = try await PrunerTests.reopen(memory)
        let report = try await Pruner(repository: repository, options: Maintenance.pruneEverything()).run()
        #expect(report.foldedRootRecords == 3)
        #expect(report.deletion != nil)
        try await Self.expectKept(memory, state, values, "after prune")
        let after = try await PrunerTests.reopen(memory)
        #expect(await !after.basin.has(released))
        #expect(try await after.basin.roots().records.count == 1)
        let again = try await Pruner(repository: after, options: Maintenance.pruneEverything()).run()
        #expect(again.foldedRootRecords == 0 && again.deletion == nil)
        try await Self.expectKept(memory, state, values, "after a second prune")
    }

    @Test("a prune killed before or after any write or delete keeps every root, and the next prune finishes the fold")
    func crashAtEveryStep() async throws {
        let memory = MemoryBackend()
        let (state, values, _) = try await Self.setUp(memory)
        let initial = memory.snapshot()
        let counter = FaultInjectingBackend(wrapping: memory)
        _ = try await Pruner(repository: try await PrunerTests.reopen(counter), options: Maintenance.pruneEverything()).run()
        let total = counter.mutationCount
        #expect(total > 8)
        for point in 0..<total {
            for takesEffect in [false, true] {
                let label = "crash \(takesEffect ? "after" : "before") mutation \(point) of \(total)"
                memory.restore(initial)
                let faulty = FaultInjectingBackend(wrapping: memory)
                let repository = try await PrunerTests.reopen(faulty)
                faulty.injectCrash(atMutation: point, takesEffect: takesEffect)
                _ = try? await Pruner(repository: repository, options: Maintenance.pruneEverything(holder: Maintenance.deadHolder)).run()
                faulty.removeAllFaults()
                try await Self.expectKept(memory, state, values, label)
                _ = try await Pruner(repository: try await PrunerTests.reopen(memory), options: Maintenance.pruneEverything()).run()
                try await Self.expectKept(memory, state, values, "\(label), then a whole prune")
                #expect(try await PrunerTests.reopen(memory).basin.roots().records.count == 1, "\(label)")
            }
        }
    }

    @Test("a put running while prune condemns the grains it deduplicates against keeps them: deletion waits for its lock, then rescues them")
    func putDuringPrune() async throws {
        let backend = MemoryBackend()
        let setup = try await PrunerTests.memoryRepository(backend)
        let shared = SplitMix64.bytes(400_000, seed: 61)
        let old = try await setup.saveFixtureSnapshot([.file("shared", shared)], time: Date())
        _ = try await setup.saveFixtureSnapshot([.file("other", SplitMix64.bytes(10_000, seed: 62))], time: Date())
        try await setup.forget(old)
        let pruner = Pruner(repository: try await PrunerTests.reopen(backend), options: Maintenance.pruneEverything())
        let putter = try await PrunerTests.reopen(backend).basin
        var first: PruneReport?
        try await putter.batch { () async throws(BasinError) -> [RootRecord.Operation] in
            let key = try await putter.writeValue(shared)
            #expect(await putter.written.grains == 0, "the value was deduplicated against grains no snapshot reaches")
            // Prune runs between the put and its commit: it condemns those grains, and cannot delete them.
            first = try await pruner.run()
            return [.addKey(key)]
        }
        #expect(first?.condemnation != nil && first?.deletion == nil && first?.deferred?.contains("put") == true)
        let second = try await pruner.run()
        #expect(second.deletion?.rescued.isEmpty == false)
        let reopened = try await PrunerTests.reopen(backend)
        #expect(try await reopened.basin.get(putter.key(of: shared)) == shared)
        #expect(try await Maintenance.problems(reopened, readData: .none).isEmpty)
    }

    @Test("a batch killed before or after any write keeps all its values as roots or none, and check is clean")
    func batchCrashAtEveryStep() async throws {
        let memory = MemoryBackend()
        _ = try await PrunerTests.memoryRepository(memory, encryption: .chacha20Poly1305)
        let initial = memory.snapshot()
        let values = (0..<3).map { SplitMix64.bytes(70_000 + $0, seed: UInt64(50 + $0)) }
        let batch = { @Sendable (basin: Basin) async throws(BasinError) -> Set<Key> in
            var keys: Set<Key> = []
            try await basin.batch { () async throws(BasinError) -> [RootRecord.Operation] in
                for value in values { keys.insert(try await basin.writeValue(value)) }
                return keys.map { .addKey($0) }
            }
            return keys
        }
        let counter = FaultInjectingBackend(wrapping: memory)
        let keys = try await batch(try await PrunerTests.reopen(counter).basin)
        let total = counter.mutationCount
        #expect(total > 5)
        for point in 0..<total {
            for takesEffect in [false, true] {
                let label = "crash \(takesEffect ? "after" : "before") mutation \(point) of \(total)"
                memory.restore(initial)
                let faulty = FaultInjectingBackend(wrapping: memory)
                faulty.injectCrash(atMutation: point, takesEffect: takesEffect)
                let committed = (try? await batch(try await PrunerTests.reopen(faulty).basin)) != nil
                faulty.removeAllFaults()
                let repository = try await PrunerTests.reopen(memory)
                let roots = try await repository.basin.roots().state.keys
                #expect(roots.isEmpty || roots == keys, "\(label): \(roots.count) of 3 values are roots")
                #expect(!committed || roots == keys, "\(label): a batch that returned lost its values")
                for value in values where roots.contains(repository.basin.key(of: value)) {
                    #expect(try await repository.basin.get(repository.basin.key(of: value)) == value, "\(label)")
                }
                let problems = try await Maintenance.problems(repository, readData: .none)
                #expect(problems.isEmpty, "\(label): \(problems)")
            }
        }
    }

    @Test("a record whose name and time disagree, or a stray object under roots/, stops prune before it changes anything")
    func damagedRecords() async throws {
        let memory = MemoryBackend()
        _ = try await Self.setUp(memory)
        let repository = try await PrunerTests.reopen(memory)
        let record = try #require(try await repository.basin.roots().records.first)
        let moved = "roots/" + String(repeating: "0", count: 16) + record.suffix(48)
        try await memory.write(moved, bytes: try await memory.read(record))
        let unlocked = { memory.snapshot().filter { !$0.key.hasPrefix("locks/") } }
        let before = unlocked()
        let error = await #expect(throws: BasinError.self) {
            _ = try await Pruner(repository: repository, options: Maintenance.pruneEverything()).run()
        }
        #expect(error?.code == .corrupted)
        #expect(unlocked() == before)
        try await memory.delete(moved)
        try await memory.write("roots/stray", bytes: [1, 2, 3])
        let stray = await #expect(throws: BasinError.self) { _ = try await repository.basin.roots() }
        #expect(stray?.code == .corrupted && stray?.message.contains("roots/stray") == true)
    }
}
