import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Compaction through the library: prune merges the small strata that one-value puts leave
/// into full ones, keeps every stored value and named key, stays within each lane, and loses
/// nothing when killed at any step.
@Suite("Compaction: prune merges small strata, lane by lane, crash-safely")
struct CompactionTests {
    /// What a basin holds after a series of puts: the values, and the roots they made.
    struct Stored {
        var values: [Key: [UInt8]] = [:]
        var state = RootState()
    }

    /// `count` puts, each as its own `basin put` process makes it: open the basin, store one
    /// value in a batch (one stratum per lane it touches, one root record). Every tenth put
    /// also names its value.
    /// - Parameter size: the size of the value of put `n`.
    static func putEach(_ memory: MemoryBackend, count: Int, seed: UInt64, size: (Int) -> Int) async throws -> Stored {
        _ = try await PrunerTests.memoryRepository(memory, encryption: .chacha20Poly1305)
        var stored = Stored()
        for n in 0..<count {
            let basin = try await PrunerTests.reopen(memory).basin
            let value = SplitMix64.bytes(size(n), seed: seed + UInt64(n))
            let name = n % 10 == 0 ? "values/\(n)" : nil
            var key: Key?
            try await basin.batch { () async throws(BasinError) -> [RootRecord.Operation] in
                let stored = try await basin.writeValue(value)
                key = stored
                return [.addKey(stored)] + (name.map { [.setName($0, stored)] } ?? [])
            }
            let put = try #require(key)
            stored.values[put] = value
            stored.state.keys.insert(put)
            if let name { stored.state.names[name] = put }
        }
        return stored
    }

    /// The basin holds `stored`'s roots and values (each read back whole), and check with
    /// every data stratum read finds nothing.
    static func expectKept(_ memory: MemoryBackend, _ stored: Stored, _ label: String) async throws {
        let repository = try await PrunerTests.reopen(memory)
        #expect(try await repository.basin.roots().state == stored.state, "\(label)")
        for (key, value) in stored.values {
            #expect(try await repository.basin.get(key) == value, "\(label): value \(key)")
        }
        let problems = try await Maintenance.problems(repository)
        #expect(problems.isEmpty, "\(label): \(problems)")
    }

    /// Every stratum holds grains of its own lane only: blobs in data strata, the rest in meta.
    static func expectLanesApart(_ memory: MemoryBackend, _ label: String) async throws -> [Lane: Int] {
        var strata: [Lane: Int] = [:]
        for stratum in try await PrunerTests.reopen(memory).basin.inventory().strata {
            strata[stratum.lane, default: 0] += 1
            #expect(stratum.entries.allSatisfy { ($0.kind == .blob) == (stratum.lane == .data) },
                    "\(label): stratum \(stratum.name) holds a grain of the other lane")
        }
        return strata
    }

    @Test("300 one-value puts, then a prune: fewer than 60 objects, every value and name kept, check --read-data clean")
    func manySmallPuts() async throws {
        let memory = MemoryBackend()
        let stored = try await Self.putEach(memory, count: 300, seed: 1000) { 100 + $0 * 7 }
        #expect(Maintenance.objects(memory).count > 600, "a stratum, an index segment and a root record per put")

        let report = try await Pruner(repository: try await PrunerTests.reopen(memory), options: Maintenance.pruneEverything()).run()
        #expect(report.plan.compact.count == 300 && report.plan.condemn.isEmpty)
        #expect(report.repack?.strataWritten == 1 && report.deletion?.strata == 300)
        let objects = Maintenance.objects(memory)
        #expect(objects.count < 60, "\(objects.keys.sorted())")
        #expect(try await Self.expectLanesApart(memory, "after prune") == [.data: 1])
        try await Self.expectKept(memory, stored, "after prune")

        // The one stratum left is small, but alone: the next prune leaves it be.
        let again = try await Pruner(repository: try await PrunerTests.reopen(memory), options: Maintenance.pruneEverything()).run()
        #expect(again.plan.isEmpty && again.repack == nil)
    }

    @Test("compaction keeps the lanes apart: data strata merge with data strata, meta with meta; --no-compaction leaves them")
    func lanesStayApart() async throws {
        let memory = MemoryBackend()
        // Values of one to three chunks: each put leaves a small data stratum, and a small meta
        // one (its clast) when its value has several chunks.
        let stored = try await Self.putEach(memory, count: 24, seed: 2000) { 150_000 + $0 }
        let before = try await Self.expectLanesApart(memory, "before")
        let metaBefore = try #require(before[.meta])
        #expect(before[.data] == 24 && metaBefore >= 8, "\(before)")

        var off = Maintenance.pruneEverything()
        off.plan.compact = false
        let skipped = try await Pruner(repository: try await PrunerTests.reopen(memory), options: off).run()
        #expect(skipped.plan.compact.isEmpty && skipped.repack == nil)

        let report = try await Pruner(repository: try await PrunerTests.reopen(memory), options: Maintenance.pruneEverything()).run()
        #expect(report.plan.compact.count == 24 + metaBefore)
        let strata = try await Self.expectLanesApart(memory, "after prune")
        // 24 × 150 kB of chunks fill strata of 1 MiB: four of them.
        #expect(strata[.meta] == 1 && (strata[.data] ?? 0) <= 5, "\(strata)")
        try await Self.expectKept(memory, stored, "after prune")
    }

    @Test("a compaction killed before or after any write or delete keeps every value readable; the next prune finishes")
    func crashAtEveryStep() async throws {
        let memory = MemoryBackend()
        let stored = try await Self.putEach(memory, count: 10, seed: 3000) { $0 % 3 == 0 ? 100_000 + $0 : 500 + $0 }
        let initial = memory.snapshot()
        let counter = FaultInjectingBackend(wrapping: memory)
        let whole = try await Pruner(repository: try await PrunerTests.reopen(counter), options: Maintenance.pruneEverything()).run()
        #expect(whole.plan.compact.count == 10)
        let total = counter.mutationCount
        #expect(total > 20)
        var interrupted = 0
        for point in 0..<total {
            for takesEffect in [false, true] {
                let label = "crash \(takesEffect ? "after" : "before") mutation \(point) of \(total)"
                memory.restore(initial)
                let faulty = FaultInjectingBackend(wrapping: memory)
                let repository = try await PrunerTests.reopen(faulty)
                faulty.injectCrash(atMutation: point, takesEffect: takesEffect)
                do {
                    _ = try await Pruner(repository: repository, options: Maintenance.pruneEverything(holder: Maintenance.deadHolder)).run()
                } catch {
                    interrupted += 1
                }
                faulty.removeAllFaults()
                try await Self.expectKept(memory, stored, label)

                _ = try await Pruner(repository: try await PrunerTests.reopen(memory), options: Maintenance.pruneEverything()).run()
                try await Self.expectKept(memory, stored, "\(label), then a whole prune")
                let strata = try await Self.expectLanesApart(memory, "\(label), then a whole prune")
                #expect(strata[.data] == 1, "\(label), then a whole prune: \(strata)")
            }
        }
        #expect(interrupted >= 2 * total - 4, "most crash points interrupt the prune")
    }
}
