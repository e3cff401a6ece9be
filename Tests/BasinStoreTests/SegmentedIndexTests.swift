import BasinBackend
import BasinCore
import Foundation
import Synchronization
import BasinTestSupport
import Testing
@testable import BasinStore


/// One stratum's worth of random entries, and its record.
private func stratum(_ id: UInt64, grains: Int, _ rng: inout SplitMix64) -> (record: IndexedStratum, entries: [IndexEntry]) {
    var offset: UInt32 = 64
    let entries = (0..<grains).map { _ in
        let length = UInt32.random(in: 40...5000, using: &rng)
        defer { offset += length }
        return IndexEntry(key: Key(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()),
                          stratum: id, offset: offset, length: length, kind: UInt8.random(in: 1...4, using: &rng),
                          plainLength: UInt32.random(in: 0...9000, using: &rng))
    }
    let record = IndexedStratum(id: id, lane: .data, size: Int(offset) + 200, plainBytes: entries.reduce(0) { $0 + Int($1.plainLength) },
                                grainCount: grains)
    return (record, entries)
}

/// The record of a stratum without grains.
private func empty(_ id: UInt64) -> IndexedStratum {
    IndexedStratum(id: id, lane: .meta, size: 200, plainBytes: 0, grainCount: 0)
}

private func randomKeys(_ count: Int, _ rng: inout SplitMix64) -> [Key] {
    (0..<count).map { _ in Key(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
}

/// Expects `index` to return exactly `expected` for each key, and nothing for `absent`.
private func expectLookups(_ index: SegmentedIndex, _ expected: [IndexEntry], absent: [Key]) {
    let wrong = expected.filter { index.lookup($0.key) != $0 }.count
    #expect(wrong == 0, "\(wrong) of \(expected.count) keys not found as expected")
    #expect(absent.allSatisfy { index.lookup($0) == nil })
}

private func segmentNames(_ backend: any Backend) async throws -> Set<String> {
    Set(try await backend.list(prefix: "index/").map(\.name).filter { $0.hasSuffix(".seg") })
}

/// A MemoryBackend that records the size of each piece a streamed upload receives.
private final class PieceRecordingBackend: Backend {
    let inner = MemoryBackend()
    let pieces = Mutex<[Int]>([])

    var location: String { inner.location }
    func list(prefix: String) async throws(BasinError) -> [ObjectInfo] { try await inner.list(prefix: prefix) }
    func read(_ name: String) async throws(BasinError) -> [UInt8] { try await inner.read(name) }
    func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] { try await inner.read(name, range: range) }
    func stat(_ name: String) async throws(BasinError) -> ObjectInfo? { try await inner.stat(name) }
    func write(_ name: String, bytes: [UInt8]) async throws(BasinError) { try await inner.write(name, bytes: bytes) }
    func delete(_ name: String) async throws(BasinError) { try await inner.delete(name) }

    func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        Upload(inner: try await inner.beginWrite(name), backend: self)
    }

    struct Upload: ObjectUpload {
        let inner: any ObjectUpload
        let backend: PieceRecordingBackend
        func append(_ bytes: [UInt8]) async throws(BasinError) {
            backend.pieces.withLock { $0.append(bytes.count) }
            try await inner.append(bytes)
        }
        func commit() async throws(BasinError) { try await inner.commit() }
        func abort() async { await inner.abort() }
    }
}

@Suite struct SegmentedIndexTests {
    @Test(arguments: BackendKind.allCases)
    func addedSegmentsAreFoundAfterReopening(kind: BackendKind) async throws {
        try await kind.with { backend in
            var rng = SplitMix64(seed: 1)
            let index = try await SegmentedIndex.open(backend: backend)
            #expect(index.lookup(randomKeys(1, &rng)[0]) == nil)
            let strata = (1...3).map { stratum(UInt64($0), grains: 200 * $0, &rng) }
            for stratum in strata { try await index.addSegment(entries: stratum.entries, strata: [stratum.record]) }
            try await index.addSegment(entries: [], strata: [empty(99)])  // a stratum without grains is still covered

            let all = strata.flatMap(\.entries)
            let absent = randomKeys(500, &rng)
            expectLookups(index, all, absent: absent)
            #expect(index.coveredStrata == [1, 2, 3, 99])
            let bytes: Int = 4 * 72 + 1200 * 52 + 4 * 32  // four headers and trailers, entries, one stratum record each
            #expect(index.statistics == .init(segments: 4, entries: 1200, bytesMapped: bytes, coveredStrata: 4))

            let reopened = try await SegmentedIndex.open(backend: backend)
            expectLookups(reopened, all, absent: absent)
            #expect(reopened.coveredStrata == [1, 2, 3, 99])
            #expect(reopened.strata == Dictionary(uniqueKeysWithValues: (strata.map(\.record) + [empty(99)]).map { ($0.id, $0) }))
            #expect(reopened.problems.isEmpty)
            #expect(try await segmentNames(backend).allSatisfy { $0.wholeMatch(of: /index\/[0-9a-f]{16}\.seg/) != nil })
        }
    }

    @Test(arguments: BackendKind.allCases)
    func mergeKeepsEveryCopyAndRemovesItsInputs(kind: BackendKind) async throws {
        try await kind.with { backend in
            var rng = SplitMix64(seed: 2)
            let index = try await SegmentedIndex.open(backend: backend)
            var strata: [(record: IndexedStratum, entries: [IndexEntry])] = []
            for id in 1...10 {
                var stratum = stratum(UInt64(id), grains: id * 37, &rng)
                // A few keys of the previous strata stored again here: both copies stay indexed.
                let again = strata.flatMap(\.entries).prefix(3).enumerated().map { position, entry in
                    IndexEntry(key: entry.key, stratum: UInt64(id), offset: stratum.entries.last!.offset + 5000 + UInt32(position) * 100,
                               length: 100, kind: entry.kind, plainLength: entry.plainLength)
                }
                stratum.entries += again
                stratum.record.grainCount += again.count
                try await index.addSegment(entries: stratum.entries, strata: [stratum.record])
                strata.append(stratum)
            }
            // A merge cut short after writing its output leaves a second segment covering the
            // same stratum: its copies are not counted twice.
            try await index.addSegment(entries: strata[4].entries, strata: [strata[4].record])
            let before = try await segmentNames(backend)
            #expect(before.count == 11)

            #expect(try await index.mergeIfNeeded(maxSegments: 3))
            let after = try await segmentNames(backend)
            #expect(after.count <= 3)
            #expect(after == Set(index.segments.map(\.name)))
            #expect(index.statistics.segments == after.count)
            #expect(!after.subtracting(before).isEmpty, "a merged segment was written")
            #expect(index.coveredStrata == Set(1...10))
            let absent = randomKeys(300, &rng)
            func expectEveryCopy(_ index: SegmentedIndex) {
                let inventory = index.inventory()
                #expect(inventory.count == strata.count)
                for stratum in strata {
                    #expect(inventory[stratum.record.id]?.record == stratum.record)
                    #expect(inventory[stratum.record.id]?.entries.map { IndexEntry(stratum: stratum.record.id, $0) } == stratum.entries,
                            "stratum \(stratum.record.id)")
                }
                let copies = Dictionary(grouping: strata.flatMap(\.entries), by: \.key)
                let wrong = copies.filter { key, entries in index.lookup(key).map { !entries.contains($0) } ?? true }
                #expect(wrong.isEmpty, "\(wrong.count) keys not found as one of their copies")
                #expect(absent.allSatisfy { index.lookup($0) == nil })
            }
            expectEveryCopy(index)
            for segment in index.segments { try segment.verify() }

            #expect(try await !index.mergeIfNeeded(maxSegments: 3), "nothing left to merge")
            let last = stratum(11, grains: 20, &rng)
            try await index.addSegment(entries: last.entries, strata: [last.record])
            strata.append(last)
            #expect(try await index.mergeIfNeeded(maxSegments: 1))
            #expect(index.statistics.segments == 1)
            #expect(index.statistics.entries == strata.reduce(0) { $0 + $1.entries.count }, "one entry per copy")
            let reopened = try await SegmentedIndex.open(backend: backend)
            expectEveryCopy(reopened)
            #expect(reopened.coveredStrata == Set(1...11))
            #expect(try await segmentNames(backend).count == 1)
        }
    }

    @Test func largeMergesAreStreamedInPieces() async throws {
        let backend = PieceRecordingBackend()
        var rng = SplitMix64(seed: 3)
        let index = try await SegmentedIndex.open(backend: backend)
        let strata = (1...3).map { stratum(UInt64($0), grains: 12_000, &rng) }
        for stratum in strata { try await index.addSegment(entries: stratum.entries, strata: [stratum.record]) }
        backend.pieces.withLock { $0 = [] }
        #expect(try await index.mergeIfNeeded(maxSegments: 1))
        let pieces = backend.pieces.withLock { $0 }
        let segmentSize = IndexSegmentCodec.segmentSize(entryCount: 36_000, strataCount: 3)
        #expect(pieces.reduce(0, +) == segmentSize)
        #expect(pieces.count >= 2)
        #expect(pieces.allSatisfy { $0 <= SegmentedIndex.uploadChunkSize + IndexSegmentCodec.entryWidth + 64 })
        expectLookups(index, strata.flatMap(\.entries), absent: randomKeys(100, &rng))
    }

    @Test(arguments: BackendKind.allCases)
    func unreadableSegmentsAreReportedAndTheRestServed(kind: BackendKind) async throws {
        try await kind.with { backend in
            var rng = SplitMix64(seed: 4)
            let index = try await SegmentedIndex.open(backend: backend)
            let good = (1...2).map { stratum(UInt64($0), grains: 300, &rng) }
            for stratum in good { try await index.addSegment(entries: stratum.entries, strata: [stratum.record]) }
            let validSegment = try await backend.read(index.segments[0].name)

            let garbage = "index/00000000000000aa.seg", truncated = "index/00000000000000bb.seg", empty = "index/00000000000000cc.seg"
            try await backend.write(garbage, bytes: (0..<500).map { _ in UInt8.random(in: 0...255, using: &rng) })
            try await backend.write(truncated, bytes: Array(validSegment.dropLast(9)))
            try await backend.write(empty, bytes: [])
            try await backend.write("index/notes.txt", bytes: [1, 2, 3])  // not a segment: ignored

            let reopened = try await SegmentedIndex.open(backend: backend)
            #expect(Set(reopened.problems.map(\.name)) == [garbage, truncated, empty])
            #expect(reopened.problems.allSatisfy { $0.error.code == .corrupted })
            #expect(reopened.statistics.segments == 2)
            #expect(reopened.coveredStrata == [1, 2])
            expectLookups(reopened, good.flatMap(\.entries), absent: randomKeys(100, &rng))
        }
    }

    @Test(arguments: BackendKind.allCases)
    func aSegmentFailingVerificationIsDroppedBeforeMerging(kind: BackendKind) async throws {
        try await kind.with { backend in
            var rng = SplitMix64(seed: 5)
            let index = try await SegmentedIndex.open(backend: backend)
            let strata = (1...3).map { stratum(UInt64($0), grains: 100, &rng) }
            for stratum in strata { try await index.addSegment(entries: stratum.entries, strata: [stratum.record]) }

            // Flip one bit in the entries of stratum 2's segment: its header stays valid.
            let damaged = try #require(index.segments.first { $0.coveredStrata == [2] }).name
            var bytes = try await backend.read(damaged)
            bytes[64 + IndexSegmentCodec.entryWidth * 50 + 33] ^= 0x10
            try await backend.delete(damaged)
            try await backend.write(damaged, bytes: bytes)

            let reopened = try await SegmentedIndex.open(backend: backend)
            #expect(reopened.problems.isEmpty, "opening reads only the header")
            #expect(try await reopened.mergeIfNeeded(maxSegments: 1))
            #expect(reopened.problems.map(\.name) == [damaged])
            #expect(reopened.problems.first?.error.code == .corrupted)
            #expect(try await !segmentNames(backend).contains(damaged))
            #expect(reopened.coveredStrata == [1, 3], "stratum 2 must be indexed again")
            expectLookups(reopened, strata[0].entries + strata[2].entries, absent: randomKeys(100, &rng))
        }
    }

    @Test(arguments: BackendKind.allCases)
    func rebuildReplacesEverySegment(kind: BackendKind) async throws {
        try await kind.with { backend in
            var rng = SplitMix64(seed: 6)
            let index = try await SegmentedIndex.open(backend: backend)
            for id in 1...4 {
                let stale = stratum(UInt64(id), grains: 50, &rng)
                try await index.addSegment(entries: stale.entries, strata: [stale.record])
            }
            try await backend.write("index/00000000000000ee.seg", bytes: [0])  // corrupt leftover
            let strata = (5...7).map { stratum(UInt64($0), grains: 80, &rng) }

            try await index.rebuild(from: strata)
            let names = try await segmentNames(backend)
            #expect(names.count == 1)
            #expect(names == Set(index.segments.map(\.name)))
            #expect(index.coveredStrata == [5, 6, 7])
            expectLookups(index, strata.flatMap(\.entries), absent: randomKeys(100, &rng))
            let reopened = try await SegmentedIndex.open(backend: backend)
            #expect(reopened.problems.isEmpty)
            expectLookups(reopened, strata.flatMap(\.entries), absent: [])
        }
    }

    @Test func anEntryThatDoesNotFitLeavesNoObject() async throws {
        let backend = MemoryBackend()
        let index = try await SegmentedIndex.open(backend: backend)
        let bad = IndexEntry(key: Key(w0: 1, w1: 2, w2: 3, w3: 4), stratum: 1, offset: 0, length: 10, kind: 16, plainLength: 10)
        let error = await #expect(throws: BasinError.self) { try await index.addSegment(entries: [bad], strata: [empty(1)]) }
        #expect(error?.code == .invalidArgument)
        #expect(try await segmentNames(backend).isEmpty)
        #expect(index.statistics.segments == 0)
    }

    @Test func mappingAMissingOrEmptyFileThrows() async throws {
        try await withTemporaryDirectory { directory in
            let missing = #expect(throws: BasinError.self) { try MappedSegment(mapping: directory + "/missing.seg", name: "index/missing.seg") }
            #expect(missing?.code == .notFound)
            #expect(FileManager.default.createFile(atPath: directory + "/empty.seg", contents: nil))
            let empty = #expect(throws: BasinError.self) { try MappedSegment(mapping: directory + "/empty.seg", name: "index/empty.seg") }
            #expect(empty?.code == .corrupted)
            #expect(empty?.underlying as? CodecError == .truncated(offset: 0, needed: 64))
        }
    }

    // MARK: merge policy

    @Test func mergeSelectionBringsTheCountBackDown() {
        #expect(SegmentedIndex.mergeSelection(counts: [5, 5, 5], maxSegments: 3).isEmpty)
        #expect(SegmentedIndex.mergeSelection(counts: Array(repeating: 1, count: 9), maxSegments: 8) == Array(0..<9))
        #expect(SegmentedIndex.mergeSelection(counts: [1000, 1, 2, 50], maxSegments: 3) == [1, 2])
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let counts = (0..<Int.random(in: 2...30, using: &rng)).map { _ in Int.random(in: 0...10_000, using: &rng) }
            let maxSegments = Int.random(in: 1...10, using: &rng)
            let picked = SegmentedIndex.mergeSelection(counts: counts, maxSegments: maxSegments)
            if counts.count > maxSegments {
                #expect(counts.count - picked.count + 1 <= maxSegments, "counts \(counts) max \(maxSegments)")
                #expect(picked.count >= 2 && Set(picked).count == picked.count)
            }
        }
    }

    /// Adding many small segments must not rewrite the whole index on every merge.
    @Test func tieredMergingRewritesEachEntryFewTimes() {
        var counts: [Int] = []
        var rewritten = 0
        let added = 2000
        for _ in 0..<added {
            counts.append(1)
            let picked = SegmentedIndex.mergeSelection(counts: counts, maxSegments: 8)
            guard !picked.isEmpty else { continue }
            let merged = picked.reduce(0) { $0 + counts[$1] }
            rewritten += merged
            counts = counts.indices.filter { !picked.contains($0) }.map { counts[$0] } + [merged]
        }
        #expect(counts.count <= 8)
        #expect(rewritten <= added * 12, "rewrote \(rewritten) entries for \(added) added")
    }
}
