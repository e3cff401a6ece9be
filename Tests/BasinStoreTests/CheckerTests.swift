import BasinBackend
import BasinCore
import BasinTestSupport
import Foundation
import Testing
@testable import BasinStore

/// The store half of `basin check`: damage of each kind is found and named.
@Suite("Checker: strata, index segments, key files, --read-data")
struct CheckerTests {
    let backend = MemoryBackend()
    /// Where the data lane lives when a test keeps it apart (cold storage).
    let cold = MemoryBackend()

    /// An encrypted basin with several strata in both lanes; with `coldData` its data lane is
    /// kept apart, on `cold`.
    func filledBasin(coldData: Bool = false) async throws -> (Basin, [Key]) {
        var options = smallOptions()
        if coldData { options.laneLocations = ["data": "cold"] }
        let basin = try await Basin.create(backend: backend, password: "pw", options: options, resolve: resolver)
        var keys: [Key] = []
        for index in 0..<12 {
            keys.append(try await basin.writeValue(randomBytes(index % 3 == 0 ? 60_000 : 9_000, seed: UInt64(index))))
            _ = try await basin.putGrain(Array("tree \(index)".utf8), kind: .tree)
        }
        try await basin.flush()
        return (try await reopen(), keys)
    }

    var resolver: BackendResolver {
        let cold = cold
        return { _ throws(BasinError) in cold }
    }

    func reopen() async throws -> Basin {
        try await Basin.open(backend: backend, password: "pw", resolve: resolver)
    }

    func strata(_ lane: Lane) -> [String] {
        (backend.snapshot().keys.filter { StratumName.parse($0, lane: lane) != nil }
            + cold.snapshot().keys.filter { StratumName.parse($0, lane: lane) != nil }).sorted()
    }

    /// Changes the stored bytes of `name`, wherever it lives.
    func damage(_ name: String, _ change: (inout [UInt8]) -> Void) {
        for holder in [backend, cold] {
            var objects = holder.snapshot()
            guard objects[name] != nil else { continue }
            change(&objects[name]!)
            holder.restore(objects)
        }
    }

    @Test("a whole basin has no problems, with and without --read-data; every grain is read with it")
    func healthy() async throws {
        let (basin, _) = try await filledBasin()
        let structure = try await Checker(basin: basin).run()
        #expect(structure.problems.isEmpty, "\(structure.problems)")
        #expect(structure.strata == strata(.data).count + strata(.meta).count)
        #expect(structure.strataRead == 0 && structure.keyFiles == 1)
        let full = try await Checker(basin: basin, readData: .all).run()
        #expect(full.problems.isEmpty, "\(full.problems)")
        #expect(full.grainsRead == structure.grains && full.strataRead == structure.strata)
    }

    @Test("a flipped bit in a grain's payload: plain check passes, --read-data names the stratum and the key")
    func payloadDamage() async throws {
        _ = try await filledBasin()
        let name = strata(.data)[0]
        damage(name) { $0[StratumHeader.size + GrainFrameHeader.size + 5] ^= 0x10 }
        let basin = try await reopen()
        #expect(try await Checker(basin: basin).run().problems.isEmpty)
        let report = try await Checker(basin: basin, readData: .all).run()
        let problems = report.problems.filter { $0.kind == .data }
        #expect(problems.count == 1 && report.problems.count == 1, "\(report.problems)")
        #expect(problems.first?.object == name)
        let damagedKey = try await basin.describeStratum(StratumName.parse(name, lane: .data)!).grains[0].key
        #expect(problems.first?.message.contains(damagedKey) == true)
        await expectBasinError(.corrupted, naming: name) { try await basin.grain(Key(hex: damagedKey)!) }
    }

    @Test("a damaged footer or index grain is a stratum problem naming it, found without reading grains; in a data lane kept apart, with --read-data",
          arguments: [false, true])
    func structureDamage(coldData: Bool) async throws {
        _ = try await filledBasin(coldData: coldData)
        let footerDamaged = strata(.meta)[0]
        damage(footerDamaged) { $0[$0.count - 3] ^= 0xFF }
        let indexDamaged = strata(.data)[1]
        // The index grain's last payload byte, just before the footer.
        damage(indexDamaged) { $0[$0.count - StratumFooter.size - 1] ^= 0x01 }
        let basin = try await reopen()
        let problems = try await Checker(basin: basin).run().problems
        #expect(problems.contains { $0.kind == .stratum && $0.object == footerDamaged && $0.message.contains("footer") }, "\(problems)")
        let dataDamage = problems.contains { $0.kind == .stratum && $0.object == indexDamaged && $0.message.contains("index grain") }
        #expect(dataDamage != coldData, "a data lane kept apart is checked against the index alone: \(problems)")
        let withData = try await Checker(basin: basin, readData: .all).run().problems
        #expect(withData.contains { $0.kind == .stratum && $0.object == indexDamaged && $0.message.contains("index grain") }, "\(withData)")
    }

    @Test("a data stratum cut short or replaced is found from its listed size, hot or kept apart", arguments: [false, true])
    func dataStratumCutShort(coldData: Bool) async throws {
        _ = try await filledBasin(coldData: coldData)
        let cut = strata(.data)[0]
        damage(cut) { $0.removeLast(7) }
        let problems = try await Checker(basin: try await reopen()).run().problems
        #expect(problems.contains { $0.kind == .stratum && $0.object == cut && $0.message.contains("cut short") }, "\(problems)")
    }

    @Test("a segment whose entries were altered fails its trailer checksum and is named")
    func segmentDamage() async throws {
        _ = try await filledBasin()
        let segment = try #require(backend.snapshot().keys.sorted().first { $0.hasPrefix("index/") })
        damage(segment) { $0[64 + 40] ^= 0x01 }
        let basin = try await reopen()
        let problems = try await Checker(basin: basin).run().problems
        #expect(problems.contains { $0.kind == .indexSegment && $0.object == segment }, "\(problems)")
    }

    @Test("index entries a segment does not cover, and grains the index does not list, are index problems", arguments: [false, true])
    func indexDisagreesWithStrata(coldData: Bool) async throws {
        _ = try await filledBasin(coldData: coldData)
        let stratum = try #require(strata(.data).first.flatMap { StratumName.parse($0, lane: .data) })
        // Only a segment recording every stratum but listing none of their grains, plus one
        // entry pointing into a real stratum from a segment that does not cover it.
        let records = try await reopen().segmentedIndex.strata.values
        var objects = backend.snapshot()
        for name in objects.keys where name.hasPrefix("index/") { objects[name] = nil }
        backend.restore(objects)
        let index = try await SegmentedIndex.open(backend: backend)
        try await index.addSegment(entries: [], strata: Array(records))
        let stray = Key(w0: 1, w1: 2, w2: 3, w3: 4)
        try await index.addSegment(entries: [IndexEntry(key: stray, stratum: stratum, offset: 64, length: 100, kind: 1, plainLength: 100)],
                                   strata: [])
        let basin = try await reopen()
        let problems = try await Checker(basin: basin).run().problems
        #expect(problems.contains { $0.kind == .index && $0.object.hasPrefix("index/") && $0.message.contains(stray.hex) }, "\(problems)")
        // Strata read are compared grain by grain with their own index grain; data strata
        // kept apart, unread, by the grain count recorded.
        let unindexed = Set(problems.filter { $0.kind == .index && $0.message.contains("not in the index") }.map(\.object))
        let uncounted = Set(problems.filter { $0.kind == .index && $0.message.contains("lists 0 of its grains") }.map(\.object))
        #expect(unindexed == Set(coldData ? strata(.meta) : strata(.data) + strata(.meta)), "\(problems)")
        #expect(uncounted == (coldData ? Set(strata(.data)) : []), "\(problems)")
        let withData = try await Checker(basin: basin, readData: .all).run().problems
        let unindexedWithData = withData.filter { $0.kind == .index && $0.message.contains("not in the index") }
        #expect(Set(unindexedWithData.map(\.object)) == Set(strata(.data) + strata(.meta)), "\(withData)")
    }

    @Test("a malformed key file is named; the basin still opens with the good one")
    func keyFileDamage() async throws {
        _ = try await filledBasin()
        let good = try #require(backend.snapshot().keys.sorted().first { $0.hasPrefix("keys/") })
        var file = try KeyFile.decode(backend.snapshot()[good]!, name: good)
        file.nonce = "00"
        try await backend.write("keys/ffffffffffffffff", bytes: try file.encoded())
        let basin = try await reopen()
        let report = try await Checker(basin: basin).run()
        #expect(report.keyFiles == 2)
        #expect(report.problems.map(\.object) == ["keys/ffffffffffffffff"], "\(report.problems)")
    }

    @Test("--read-data-subset N/M: the groups 1/3, 2/3, 3/3 read every stratum exactly once")
    func subsets() async throws {
        let (basin, _) = try await filledBasin()
        let all = try await basin.listStrata().map(\.id)
        var read: [UInt64] = []
        for n in 1...3 {
            read += Checker.select(all.map { (Lane.data, $0, 0) }, .group(n, of: 3)).map(\.id)
            let report = try await Checker(basin: basin, readData: .group(n, of: 3)).run()
            #expect(report.problems.isEmpty)
        }
        #expect(read.sorted() == all.sorted())
        #expect(Checker.select(all.map { (Lane.data, $0, 0) }, .fraction(0.01)).count == 1)
    }
}
