import BasinBackend
import BasinCore
import BasinLocal
import Foundation
import BasinTestSupport
import Testing
@testable import BasinStore

/// A basin on a memory backend holding `count` values of assorted sizes (some clasts), flushed.
private func filledBasin(count: Int = 12, backend: any Backend = MemoryBackend()) async throws -> (backend: any Backend, values: [Key: [UInt8]]) {
    let basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(), resolve: noLanes)
    var values: [Key: [UInt8]] = [:]
    for index in 0..<count {
        let value = randomBytes([10, 3000, 40_000, 120_000][index % 4] + index, seed: UInt64(1000 + index))
        values[try await basin.writeValue(value)] = value
    }
    try await basin.flush()
    return (backend, values)
}

/// Reads every value: each must be either correct or a BasinError of an allowed code; never wrong bytes.
private func expectCorrectOrError(_ basin: Basin, _ values: [Key: [UInt8]], allowed: Set<BasinError.Code> = [.corrupted, .notFound]) async -> (correct: Int, failed: [BasinError]) {
    var correct = 0
    var failed: [BasinError] = []
    for (key, value) in values {
        do {
            let read = try await basin.get(key)
            #expect(read == value, "wrong bytes for \(key)")
            if read == value { correct += 1 }
        } catch {
            #expect(allowed.contains(error.code), "\(error)")
            failed.append(error)
        }
    }
    return (correct, failed)
}

@Suite("Basin: bad input, damage and crashes")
struct BasinFaultTests {
    @Test("a stratum deleted after the basin was opened: reading its grains is damage (.corrupted) naming the stratum, not an absent key")
    func stratumGoneAfterOpen() async throws {
        let (backend, values) = try await filledBasin()
        let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        let strata = try await basin.listStrata().filter { $0.lane == .data }
        for stratum in strata { try await backend.delete(StratumName.objectName(lane: stratum.lane, id: stratum.id)) }
        let key = try #require(values.keys.sorted { $0.hex < $1.hex }.first)
        let error = await #expect(throws: BasinError.self) { _ = try await basin.get(key) }
        #expect(error?.code == .corrupted, "\(String(describing: error))")
        #expect(error?.message.contains("is missing, though the index lists grain") == true, "\(String(describing: error))")
        #expect(strata.contains { error?.message.contains(StratumName.objectName(lane: $0.lane, id: $0.id)) == true })
    }

    @Test("missing index segments are rebuilt from strata footers at open")
    func missingIndex() async throws {
        let (backend, values) = try await filledBasin()
        for segment in try await backend.list(prefix: "index/") { try await backend.delete(segment.name) }
        let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        let result = await expectCorrectOrError(basin, values, allowed: [])
        #expect(result.correct == values.count)
        #expect(!(try await backend.list(prefix: "index/")).isEmpty)
    }

    @Test("a corrupt index segment is reported, ignored, and its strata re-indexed")
    func corruptSegment() async throws {
        let (backend, values) = try await filledBasin()
        let memory = try #require(backend as? MemoryBackend)
        var contents = memory.snapshot()
        let segment = try #require(contents.keys.sorted().first { $0.hasPrefix("index/") })
        contents[segment]![3] ^= 0x40
        memory.restore(contents)
        let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        #expect(await basin.warnings.contains { $0.contains(segment) })
        #expect(await expectCorrectOrError(basin, values, allowed: []).correct == values.count)
    }

    /// Flips one byte of field `field` (offset within the 52-byte entry) of an entry picked
    /// from `seed` in the largest index segment; returns the segment's name.
    private func damageSegmentEntry(_ memory: MemoryBackend, field: Int, seed: UInt64) throws -> String {
        var contents = memory.snapshot()
        let segments = contents.keys.filter { $0.hasPrefix("index/") }.sorted()
        let name = try #require(segments.max { contents[$0]!.count < contents[$1]!.count })
        let count = try IndexSegmentCodec.decode(contents[name]!).entries.count
        var generator = SplitMix64(seed: seed)
        let entry = Int(generator.next() % UInt64(count))
        print("damaging entry \(entry) of \(count) in \(name) at field byte \(field) (seed \(seed))")
        contents[name]![IndexSegmentCodec.headerSize + entry * IndexSegmentCodec.entryWidth + field] ^= 0x01
        memory.restore(contents)
        return name
    }

    @Test("a flipped byte in an index segment's entries (key, stratum, offset, length): every value reads, one warning names the segment, which is replaced; no stratum is blamed",
          arguments: [0, 32, 40, 44])
    func damagedSegmentEntries(field: Int) async throws {
        for seed: UInt64 in [1, 2, 3] {
            let (backend, values) = try await filledBasin()
            let memory = try #require(backend as? MemoryBackend)
            let segment = try damageSegmentEntry(memory, field: field, seed: seed)
            let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
            let result = await expectCorrectOrError(basin, values, allowed: [])
            #expect(result.correct == values.count, "seed \(seed): \(result.failed)")
            let warnings = await basin.warnings
            #expect(warnings.count == 1 && warnings.allSatisfy { $0.contains("index segment \(segment) is damaged") }, "seed \(seed): \(warnings)")
            #expect(!(try await backend.list(prefix: "index/")).contains { $0.name == segment }, "seed \(seed): the damaged segment is gone")
            let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
            #expect(await reopened.warnings.isEmpty)
            #expect(try await Checker(basin: reopened, readData: .all).run().problems.isEmpty)
        }
    }

    @Test("an index entry that passes its segment's checksum but misplaces a grain: the stratum's own index settles it, the index is rebuilt and the read succeeds")
    func misplacingIndex() async throws {
        let (backend, values) = try await filledBasin()
        let memory = try #require(backend as? MemoryBackend)
        var contents = memory.snapshot()
        let key = try #require(values.keys.sorted().first)
        let name = try #require(contents.keys.filter { $0.hasPrefix("index/") }.sorted().first { name in
            (try? IndexSegmentCodec.decode(contents[name]!).entries.contains { $0.key == key }) == true
        })
        var (entries, strata) = try IndexSegmentCodec.decode(contents[name]!)
        let position = try #require(entries.firstIndex { $0.key == key })
        entries[position].offset += 1  // a well-formed segment, wrong about one grain
        contents[name] = try IndexSegmentCodec.encode(entries: entries, strata: strata)
        memory.restore(contents)
        let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        #expect(try await basin.get(key) == values[key])
        let warnings = await basin.warnings
        #expect(warnings.count == 1 && warnings[0].contains("the index was rebuilt") && warnings[0].contains("\(key)"), "\(warnings)")
    }

    @Test("index segments of an older format version are replaced at open: strata re-indexed, old segments deleted, one warning")
    func olderSegmentFormat() async throws {
        let (backend, values) = try await filledBasin()
        let memory = try #require(backend as? MemoryBackend)
        var contents = memory.snapshot()
        let old = contents.keys.filter { $0.hasPrefix("index/") }
        #expect(!old.isEmpty)
        for name in old {
            contents[name]![8] = 1  // format version 1, as a basin written before version 2 has
            IndexSegmentCodec._restampHeaderChecksum(&contents[name]!)
        }
        memory.restore(contents)
        let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        let warnings = await basin.warnings
        #expect(warnings.contains { $0.contains("older format") } && !warnings.contains { $0.contains("unusable") }, "\(warnings)")
        let now = Set(try await backend.list(prefix: "index/").map(\.name))
        #expect(!now.isEmpty && now.isDisjoint(with: old))
        #expect(await expectCorrectOrError(basin, values, allowed: []).correct == values.count)
        #expect(try await Checker(basin: basin, readData: .all).run().problems.isEmpty)
        #expect(try await Basin.open(backend: backend, password: "pw", resolve: noLanes).warnings.isEmpty, "replaced once")
    }

    @Test("a stratum the index names but which is gone: warned at open, reads name what is missing")
    func missingStratum() async throws {
        let (backend, values) = try await filledBasin()
        let strata = try await backend.list(prefix: "data/")
        #expect(strata.count > 1)
        let victim = strata[0].name
        // Gone while the basin is open: the read names the stratum.
        let open = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        try await backend.delete(victim)
        let whileOpen = await expectCorrectOrError(open, values)
        #expect(!whileOpen.failed.isEmpty)
        #expect(whileOpen.failed.allSatisfy { $0.message.contains(victim) }, "\(whileOpen.failed)")
        // Gone at open: the index is rebuilt, a warning names the stratum, the rest reads.
        let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        let id = try #require(StratumName.parse(victim, lane: .data))
        #expect(await reopened.warnings.contains { $0.contains(Hex.encode(id)) })
        let afterRebuild = await expectCorrectOrError(reopened, values)
        #expect(afterRebuild.correct == whileOpen.correct)
        // A value whose own grain is gone is absent; a clast missing a chunk is damaged.
        #expect(afterRebuild.failed.allSatisfy { $0.code == .notFound || ($0.code == .corrupted && $0.message.hasPrefix("chunk ")) },
                "\(afterRebuild.failed)")
    }

    @Test("a truncated stratum: whole grains still read, the rest is an error naming the stratum; rebuild salvages by scanning")
    func truncatedStratum() async throws {
        let (backend, values) = try await filledBasin()
        let memory = try #require(backend as? MemoryBackend)
        var contents = memory.snapshot()
        let victim = try #require(contents.keys.filter { $0.hasPrefix("data/") }.max { contents[$0]!.count < contents[$1]!.count })
        contents[victim] = Array(contents[victim]!.prefix(contents[victim]!.count / 2))
        memory.restore(contents)
        let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        let result = await expectCorrectOrError(basin, values)
        #expect(!result.failed.isEmpty && result.correct > 0)
        #expect(result.failed.allSatisfy { $0.message.contains(victim) }, "\(result.failed)")
        let rebuilt = try await basin.rebuildIndex()
        #expect(rebuilt.strata == contents.keys.filter { $0.hasSuffix(".stratum") }.count)
        let statistics = try await basin.statistics()
        #expect(statistics.lanes["data"]?.damagedStrata == 1)
        let after = await expectCorrectOrError(try await Basin.open(backend: backend, password: "pw", resolve: noLanes), values)
        #expect(after.correct == result.correct)
        #expect(memory.snapshot() .filter { !$0.key.hasPrefix("index/") } == contents.filter { !$0.key.hasPrefix("index/") })
    }

    @Test("a flipped bit in a stratum: caught (.corrupted naming the stratum) when it falls in the header or a grain a value reads, and harmless elsewhere; nothing stored is altered")
    func flippedBits() async throws {
        let (backend, values) = try await filledBasin(count: 8)
        let memory = try #require(backend as? MemoryBackend)
        let pristine = memory.snapshot()
        let strata = pristine.keys.filter { $0.hasSuffix(".stratum") }.sorted()
        var generator = SplitMix64(seed: 5)
        for round in 0..<40 {
            var damaged = pristine
            let name = strata[Int(generator.next() % UInt64(strata.count))]
            let bit = Int(generator.next() % UInt64(damaged[name]!.count * 8))
            let byte = bit / 8
            damaged[name]![byte] ^= 1 << UInt8(bit % 8)
            memory.restore(damaged)
            // Reads check the header up to its checksum (bytes 60..<64 are reserved) and every
            // byte of each grain's frame; the stratum's own index grain and footer are not read
            // while the basin's index serves.
            let grains = try StratumParser.scan(pristine[name]!).entries
            let readsCover = byte < 60 || grains.contains { (Int($0.offset)..<Int($0.offset + $0.length)).contains(byte) }
            do {
                let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
                let result = await expectCorrectOrError(basin, values, allowed: [.corrupted])
                if readsCover {
                    #expect(!result.failed.isEmpty, "round \(round): bit \(bit) of \(name) went unnoticed")
                    #expect(result.failed.allSatisfy { $0.message.contains(name) }, "round \(round): \(result.failed)")
                } else {
                    #expect(result.correct == values.count, "round \(round): bit \(bit) of \(name) is read by nothing: \(result.failed)")
                }
            } catch {
                Issue.record("round \(round): open failed on a flipped bit in \(name): \(error)")
            }
            let after = memory.snapshot()
            #expect(after.filter { !$0.key.hasPrefix("index/") } == damaged.filter { !$0.key.hasPrefix("index/") })
        }
    }

    @Test("a full disk: the put fails naming the stratum, the basin refuses writes, nothing stored is lost")
    func fullDisk() async throws {
        let memory = MemoryBackend()
        let (_, values) = try await filledBasin(backend: memory)
        let before = memory.snapshot()
        let faulty = FaultInjectingBackend(wrapping: memory)
        _ = faulty.inject(.init(.noSpace, on: [.write, .beginWrite], prefix: "data/"))
        let basin = try await Basin.open(backend: faulty, password: "pw", resolve: noLanes)
        await #expect { () async throws in
            try await basin.writeValue(randomBytes(50_000, seed: 77))
            try await basin.flush()
        } throws: { error in
            let error = error as? BasinError
            return error?.code == .noSpace && error?.message.contains("data/") == true
        }
        await #expect(throws: BasinError.self) { try await basin.writeValue(randomBytes(10, seed: 78)) }
        let after = memory.snapshot()
        #expect(after.filter { !$0.key.hasPrefix("index/") } == before.filter { !$0.key.hasPrefix("index/") })
        faulty.removeAllFaults()
        let reopened = try await Basin.open(backend: faulty, password: "pw", resolve: noLanes)
        #expect(await expectCorrectOrError(reopened, values, allowed: []).correct == values.count)
    }

    @Test("a real full disk (tmpfs) fails with noSpace and leaves the basin readable",
          CIPrecondition.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func realFullDisk() async throws {
        try #require(getuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("basin-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=2m", "tmpfs", directory]
        try mount.run()
        mount.waitUntilExit()
        try #require(mount.terminationStatus == 0, "could not mount a tmpfs")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [directory]
            try? umount.run()
            umount.waitUntilExit()
        }
        let backend = try LocalBackend(directory: directory + "/basin", create: true)
        var options = smallOptions()
        options.compressionLevel = nil
        let basin = try await Basin.create(backend: backend, password: "pw", options: options, resolve: noLanes)
        let small = randomBytes(1000, seed: 1)
        let smallKey = try await basin.writeValue(small)
        try await basin.flush()
        await #expect { () async throws in
            for index in 0..<64 { try await basin.writeValue(randomBytes(64 << 10, seed: UInt64(index + 10))) }
            try await basin.flush()
        } throws: { error in (error as? BasinError)?.code == .noSpace }
        let reopened = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        #expect(try await reopened.get(smallKey) == small)
    }

    @Test("writes that tear mid-stratum (a crash) leave a basin that opens with every flushed value")
    func tornWrites() async throws {
        let memory = MemoryBackend()
        let (_, values) = try await filledBasin(backend: memory)
        let faulty = FaultInjectingBackend(wrapping: memory)
        _ = faulty.inject(.init(.tearWrite(keepingBytes: 5000), on: [.write, .beginWrite], prefix: "data/"))
        let basin = try await Basin.open(backend: faulty, password: "pw", resolve: noLanes)
        await #expect(throws: BasinError.self) {
            for index in 0..<20 { try await basin.writeValue(randomBytes(30_000, seed: UInt64(500 + index))) }
            try await basin.flush()
        }
        let reopened = try await Basin.open(backend: memory, password: "pw", resolve: noLanes)
        #expect(await expectCorrectOrError(reopened, values, allowed: []).correct == values.count)
    }
}
