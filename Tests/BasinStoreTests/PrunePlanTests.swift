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
              preferred: [UInt64: UInt64] = [:], settings: PrunePlan.Settings = .init()) -> PrunePlan {
        PrunePlan.make(inventory: StratumInventory(strata: strata), live: Set(live.map(Self.key)), pending: pending,
                       preferred: { preferred[$0.w0] }, settings: settings)
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
