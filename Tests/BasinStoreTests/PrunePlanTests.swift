import BasinCore
import Testing
@testable import BasinStore

/// Prune planning as a pure function of the inventory and the live keys.
@Suite("PrunePlan: condemn, repack, budget, cold lane, rescue")
struct PrunePlanTests {
    static func key(_ n: UInt64) -> Key { Key(w0: n, w1: 0, w2: 0, w3: 0) }

    /// A stratum holding grains `keys` of 1000-byte frames, 200 bytes of framing besides.
    static func stratum(_ id: UInt64, _ keys: [UInt64], lane: Lane = .data) -> StratumInventory.Stratum {
        let entries = keys.enumerated().map { index, n in
            StratumEntry(key: key(n), kind: lane == .data ? .blob : .tree, flags: 0, offset: UInt32(64 + index * 1000),
                         length: 1000, plainLength: 954)
        }
        return StratumInventory.Stratum(lane: lane, id: id, size: keys.count * 1000 + 200, entries: entries, complete: true)
    }

    func plan(_ strata: [StratumInventory.Stratum], live: [UInt64], pending: Set<UInt64> = [],
              preferred: [UInt64: UInt64] = [:], settings: PrunePlan.Settings = .init(), targetSize: Int = 4000) -> PrunePlan {
        PrunePlan.make(inventory: StratumInventory(strata: strata), live: Set(live.map(Self.key)), pending: pending,
                       preferred: { preferred[$0.w0] }, settings: settings, targetSize: targetSize)
    }

    @Test("small strata are compacted lane by lane once a lane has enough of them, within the budget; never a cold data lane")
    func compaction() {
        // Target 40 000 bytes: a stratum under 10 000 is small. Data: nine small strata of
        // one grain, a small one partly unused (under --max-unused) and a full one; meta: 3 small.
        var strata = (1...9).map { Self.stratum(UInt64($0), [100 + UInt64($0)]) }
        strata.append(Self.stratum(10, Array(200..<240)))
        strata.append(Self.stratum(11, Array(300..<309)))
        strata += (12...14).map { Self.stratum(UInt64($0), [400 + UInt64($0)], lane: .meta) }
        var live = (101...109).map(UInt64.init) + Array(200..<240) + (300...307).map(UInt64.init) + (412...414).map(UInt64.init)
        var settings = PrunePlan.Settings()
        settings.maxUnused = 0.2
        let compacted = plan(strata, live: live, settings: settings, targetSize: 40_000)
        #expect(compacted.compact.map(\.stratum.id) == Array(1...9) + [11])
        #expect(compacted.compact.allSatisfy { $0.stratum.lane == .data })
        #expect(compacted.repack.isEmpty && compacted.condemn.isEmpty)
        #expect(compacted.keptPartly.isEmpty, "the small meta strata are too few, and fully used")
        #expect(compacted.bytesToCompact == 17_000 && compacted.bytesToDelete == 9 * 1200 + 9200)

        var fewer = settings
        fewer.minSmallStrata = 11
        let none = plan(strata, live: live, settings: fewer, targetSize: 40_000)
        #expect(none.compact.isEmpty && none.keptPartly.map(\.id) == [11])
        var budget = settings
        budget.maxRepackBytes = 4500
        #expect(plan(strata, live: live, settings: budget, targetSize: 40_000).compact.map(\.stratum.id) == [1, 2, 3, 4])
        var cold = settings
        cold.repackData = false
        #expect(plan(strata, live: live, settings: cold, targetSize: 40_000).compact.isEmpty)
        var off = settings
        off.compact = false
        #expect(plan(strata, live: live, settings: off, targetSize: 40_000).compact.isEmpty)
        live.removeAll { $0 == 101 }
        #expect(plan(strata, live: live, settings: settings, targetSize: 40_000).condemn.map(\.id) == [1])
    }

    @Test("dead strata are condemned, mostly dead ones repacked, barely dead ones kept")
    func thresholds() {
        let strata = [Self.stratum(1, [1, 2]), Self.stratum(2, [3, 4, 5, 6]), Self.stratum(3, Array(10..<30))]
        // Stratum 2: 1 of 4 live; stratum 3: 19 of 20 live (≈ 5 % unused).
        let result = plan(strata, live: [3] + Array(10..<29))
        #expect(result.condemn.map(\.id) == [1])
        #expect(result.repack.map(\.stratum.id) == [2])
        #expect(result.repack.first?.live.map(\.key) == [Self.key(3)])
        #expect(result.keptPartly.map(\.id) == [3])
        #expect(result.bytesToDelete == 2200 + 4200)
        #expect(result.bytesToRepack == 1000)
        #expect(result.sizeAfter == result.sizeBefore - 6400 + 1000)
        var strict = PrunePlan.Settings()
        strict.maxUnused = 0.04
        #expect(plan(strata, live: [3] + Array(10..<29), settings: strict).repack.map(\.stratum.id) == [2, 3])
    }

    @Test("the repack budget takes the emptiest strata first; a cold data lane is never repacked")
    func budgetAndColdLane() {
        let strata = [Self.stratum(1, [1, 2, 3, 4]), Self.stratum(2, [5, 6, 7, 8]), Self.stratum(3, [9, 10], lane: .meta),
                      Self.stratum(4, [11])]
        let live: [UInt64] = [1, 5, 6, 9]
        var budget = PrunePlan.Settings()
        budget.maxRepackBytes = 1500
        let limited = plan(strata, live: live, settings: budget)
        #expect(limited.repack.map(\.stratum.id) == [1])
        #expect(Set(limited.keptPartly.map(\.id)) == [2, 3])
        var cold = PrunePlan.Settings()
        cold.repackData = false
        let coldPlan = plan(strata, live: live, settings: cold)
        #expect(coldPlan.repack.map(\.stratum.id) == [3])
        #expect(coldPlan.condemn.map(\.id) == [4])
        #expect(Set(coldPlan.keptPartly.map(\.id)) == [1, 2])
    }

    @Test("a key with several copies keeps one: outside condemned strata, then the index's choice")
    func duplicates() {
        let strata = [Self.stratum(1, [1]), Self.stratum(2, [1]), Self.stratum(3, [1])]
        #expect(plan(strata, live: [1], preferred: [1: 2]).condemn.map(\.id) == [1, 3])
        #expect(plan(strata, live: [1]).condemn.map(\.id) == [2, 3])
        let pendingPlan = plan(strata, live: [1], pending: [1], preferred: [1: 1])
        #expect(pendingPlan.pending.map(\.id) == [1])
        #expect(pendingPlan.condemn.map(\.id) == [3])
        #expect(plan([Self.stratum(1, [1])], live: [1, 2]).missingKeys == 1)
    }

    @Test("deletion rescues a condemned stratum holding the last copy of a live key, and nothing else")
    func rescue() {
        let inventory = StratumInventory(strata: [Self.stratum(1, [1, 2]), Self.stratum(2, [3]), Self.stratum(3, [3, 4])])
        let none = PrunePlan.deletable(condemned: [1, 2], inventory: inventory, live: [Self.key(3), Self.key(4)])
        #expect(none.delete == [1, 2] && none.rescued.isEmpty)
        let rescued = PrunePlan.deletable(condemned: [1, 2, 3], inventory: inventory, live: [Self.key(2), Self.key(3)])
        #expect(rescued.delete == [3] && rescued.rescued == [1, 2])
        let gone = PrunePlan.deletable(condemned: [7], inventory: inventory, live: [])
        #expect(gone.delete.isEmpty)
    }
}
