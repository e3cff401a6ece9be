import BasinCore
import BasinStore
import Testing

/// How `GrainFetchPlan` turns wanted grains into few ranged reads.
@Suite("GrainFetchPlan: grains become few ranged reads")
struct GrainFetchPlanTests {
    static func key(_ n: UInt8) -> Key { Key(bytes: [UInt8](repeating: n, count: 32))! }

    static func grain(_ n: UInt8, _ offset: Int, _ length: Int) -> GrainFetchPlan.Grain {
        .init(key: key(n), offset: offset, length: length)
    }

    @Test("neighbours within the gap share one range; one further away starts a new one")
    func gap() {
        let options = GrainFetchPlan.Options(gap: 100, maxRangeBytes: 1 << 20, rangesInFlight: 1)
        let plan = GrainFetchPlan([
            (.data, 7, Self.grain(3, 5000, 50)),
            (.data, 7, Self.grain(1, 1000, 50)),
            (.data, 7, Self.grain(2, 1150, 50)),   // 100 bytes after the first: merged
            (.data, 7, Self.grain(4, 5151, 10)),   // 101 bytes after the third: separate
        ], options: options)
        #expect(plan.ranges.map(\.bytes) == [1000..<1200, 5000..<5050, 5151..<5161])
        #expect(plan.ranges.map { $0.grains.map(\.key) } == [[Self.key(1), Self.key(2)], [Self.key(3)], [Self.key(4)]])
        #expect(plan.bytes == 200 + 50 + 10)
    }

    @Test("a range starting within the gap of the stratum's start reads the header with it")
    func header() {
        let options = GrainFetchPlan.Options(gap: 100, maxRangeBytes: 1 << 20, rangesInFlight: 1)
        let near = GrainFetchPlan([(.data, 1, Self.grain(1, 64, 10))], options: options)
        #expect(near.ranges.map(\.bytes) == [0..<74] && near.ranges[0].includesHeader)
        let far = GrainFetchPlan([(.data, 1, Self.grain(1, 101, 10))], options: options)
        #expect(far.ranges.map(\.bytes) == [101..<111] && !far.ranges[0].includesHeader)
    }

    @Test("ranges stop growing at the maximum size; a larger grain is a range of its own")
    func maxRange() {
        let options = GrainFetchPlan.Options(gap: 1000, maxRangeBytes: 300, rangesInFlight: 1)
        let plan = GrainFetchPlan([
            (.meta, 2, Self.grain(1, 2000, 100)),
            (.meta, 2, Self.grain(2, 2100, 100)),
            (.meta, 2, Self.grain(3, 2200, 100)),
            (.meta, 2, Self.grain(4, 2300, 100)),   // would make 400 bytes
            (.meta, 2, Self.grain(5, 2400, 500)),   // alone larger than the maximum
        ], options: options)
        #expect(plan.ranges.map(\.bytes) == [2000..<2300, 2300..<2400, 2400..<2900])
    }

    @Test("strata are planned apart, in lane then id order, and a grain asked twice is read once")
    func strata() {
        let options = GrainFetchPlan.Options(gap: 1 << 20, maxRangeBytes: 1 << 20, rangesInFlight: 1)
        let plan = GrainFetchPlan([
            (.meta, 1, Self.grain(1, 200, 10)),
            (.data, 9, Self.grain(2, 200, 10)),
            (.data, 3, Self.grain(3, 200, 10)),
            (.data, 3, Self.grain(3, 200, 10)),
        ], options: options)
        #expect(plan.ranges.map(\.lane) == [.data, .data, .meta])
        #expect(plan.ranges.map(\.stratum) == [3, 9, 1])
        #expect(plan.ranges[0].grains.count == 1)
    }
}
