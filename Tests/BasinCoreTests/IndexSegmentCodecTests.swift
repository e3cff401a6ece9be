import BasinTestSupport
import Testing
@testable import BasinCore


private func randomKey(_ rng: inout SplitMix64, w0: UInt64? = nil) -> Key {
    Key(w0: w0 ?? rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
}

private func entries(for keys: some Sequence<Key>, _ rng: inout SplitMix64) -> [IndexEntry] {
    keys.map { key in
        IndexEntry(key: key, stratum: rng.next() % 1000, offset: UInt32.random(in: 0...UInt32.max, using: &rng),
                   length: UInt32.random(in: 0...IndexEntry.maxLength, using: &rng), kind: UInt8.random(in: 0...15, using: &rng))
    }
}

private func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace }.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)! }
}

/// Checks that `search` finds exactly the entries of `segment` and none of `absent`.
private func expectSearches(_ segment: [UInt8], present: [IndexEntry], absent: [Key]) throws {
    try segment.withUnsafeBytes { buffer in
        let layout = try IndexSegmentCodec.layout(of: buffer)
        let region = IndexSegmentCodec.entries(of: buffer, layout: layout)
        var misses = 0
        for entry in present {
            let found = IndexSegmentCodec.search(entry.key, in: region).flatMap { IndexSegmentCodec.entry(at: $0, in: region) }
            if found != entry { misses += 1 }
        }
        #expect(misses == 0, "\(misses) of \(present.count) keys not found")
        let wrongHits = absent.filter { IndexSegmentCodec.search($0, in: region) != nil }
        #expect(wrongHits.isEmpty, "absent keys found: \(wrongHits.prefix(3))")
    }
}

@Suite struct IndexSegmentCodecTests {
    // Three entries and two strata, given out of order; the expected bytes below were written by
    // hand from the format (docs/FORMAT.md, "Index segment"); the two xxh32 values were computed
    // with libxxhash from Python (ctypes), not with this code.
    static let goldenEntries = [
        IndexEntry(key: Key(bytes: [UInt8](repeating: 0xFF, count: 32))!, stratum: 1, offset: 0x48, length: 0x20, kind: 3),
        IndexEntry(key: Key(bytes: [0x80] + [UInt8](repeating: 0, count: 31))!, stratum: 0x0102_0304_0506_0708,
                   offset: 0x1234_5678, length: IndexEntry.maxLength, kind: 15),
        IndexEntry(key: Key(bytes: (1...32).map { UInt8($0) })!, stratum: 1, offset: 0x40, length: 0x100, kind: 1),
    ]
    static let goldenStrata: [UInt64] = [0x0102_0304_0506_0708, 1]
    static let goldenHex = """
        42534e494e444558 0100 3000 00000000 0300000000000000 0200000000000000 fda942b3
        00000000000000000000000000000000000000000000000000000000
        0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 0100000000000000 40000000 00010010
        8000000000000000000000000000000000000000000000000000000000000000 0807060504030201 78563412 ffffffff
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 0100000000000000 48000000 20000030
        0100000000000000 0807060504030201
        c5764c30 42534958
        """

    @Test func goldenSegmentMatchesHandWrittenBytes() throws {
        let golden = bytes(hex: Self.goldenHex)
        #expect(golden.count == 64 + 3 * 48 + 2 * 8 + 8)
        #expect(try IndexSegmentCodec.encode(entries: Self.goldenEntries, strata: Self.goldenStrata) == golden)
        let decoded = try IndexSegmentCodec.decode(golden)
        #expect(decoded.entries == Self.goldenEntries.sorted { $0.key < $1.key })
        #expect(decoded.strata == [1, 0x0102_0304_0506_0708])
    }

    @Test(arguments: [0, 1, 2, 1000, 100_000])
    func roundTripFindsEveryKeyAndNoAbsentOne(count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count) &+ 7)
        let original = entries(for: (0..<count).map { _ in randomKey(&rng) }, &rng)
        let strata = Array(Set(original.map(\.stratum)))
        let segment = try IndexSegmentCodec.encode(entries: original, strata: strata)
        #expect(segment.count == IndexSegmentCodec.segmentSize(entryCount: count, strataCount: strata.count))
        let decoded = try IndexSegmentCodec.decode(segment)
        #expect(decoded.entries == original.sorted { $0.key < $1.key })
        #expect(decoded.strata == strata.sorted())
        try expectSearches(segment, present: original, absent: (0..<1000).map { _ in randomKey(&rng) })
    }

    /// Keys that are not uniform: interpolation guesses badly, the search must still find them.
    @Test(arguments: ["shared prefix", "clusters", "dense low", "exponential", "extremes"])
    func adversarialKeysAreStillFound(shape: String) throws {
        var rng = SplitMix64(seed: 42)
        let keys: [Key] = (0..<5000).map { index in
            let w0: UInt64 = switch shape {
            case "shared prefix": 0x1234_5678_9ABC_DEF0
            case "clusters": [0, 1 << 40, UInt64.max - (1 << 20)][index % 3] + UInt64(index)
            case "dense low": UInt64(index)
            case "exponential": UInt64(1) << UInt64(index % 64) | UInt64(index / 64)
            default: index.isMultiple(of: 2) ? UInt64(index) : UInt64.max - UInt64(index)
            }
            return randomKey(&rng, w0: w0)
        }
        let original = entries(for: keys, &rng)
        let segment = try IndexSegmentCodec.encode(entries: original, strata: [1])
        let absent = keys.map { Key(w0: $0.w0, w1: $0.w1 ^ 1, w2: $0.w2, w3: $0.w3) } + (0..<500).map { _ in randomKey(&rng) }
        try expectSearches(segment, present: original, absent: absent)
    }

    @Test func repeatedKeysKeepTheLastEntryGiven() throws {
        var rng = SplitMix64(seed: 3)
        let key = randomKey(&rng), other = randomKey(&rng)
        let first = IndexEntry(key: key, stratum: 1, offset: 10, length: 5, kind: 0)
        let second = IndexEntry(key: key, stratum: 2, offset: 20, length: 5, kind: 0)
        let third = IndexEntry(key: other, stratum: 1, offset: 30, length: 5, kind: 0)
        let decoded = try IndexSegmentCodec.decode(IndexSegmentCodec.encode(entries: [first, third, second, third], strata: [2, 1, 2]))
        #expect(decoded.entries == [first.key < other ? second : third, first.key < other ? third : second])
        #expect(decoded.strata == [1, 2])
    }

    @Test func streamedPiecesEqualTheWholeEncoding() throws {
        var rng = SplitMix64(seed: 9)
        let sorted = IndexSegmentCodec.sortedUnique(entries(for: (0..<3000).map { _ in randomKey(&rng) }, &rng))
        let encoder = try IndexSegmentStreamEncoder(entryCount: sorted.count, strata: [5, 3])
        var streamed: [UInt8] = []
        for (position, entry) in sorted.enumerated() {
            try encoder.append(entry)
            if position % 700 == 0 { streamed += encoder.takePending() }
        }
        streamed += try encoder.finish()
        #expect(streamed == (try IndexSegmentCodec.encode(entries: sorted, strata: [3, 5])))
    }

    @Test func streamEncoderRejectsMisuseWithOffsets() throws {
        let low = IndexEntry(key: Key(w0: 1, w1: 0, w2: 0, w3: 0), stratum: 1, offset: 0, length: 0, kind: 0)
        let high = IndexEntry(key: Key(w0: 2, w1: 0, w2: 0, w3: 0), stratum: 1, offset: 0, length: 0, kind: 0)

        let outOfOrder = try IndexSegmentStreamEncoder(entryCount: 2, strata: [])
        try outOfOrder.append(high)
        #expect(throws: CodecError.invalidValue(offset: 112, field: "key order")) { try outOfOrder.append(low) }
        #expect(throws: CodecError.invalidValue(offset: 112, field: "key order")) { try outOfOrder.append(high) }

        let short = try IndexSegmentStreamEncoder(entryCount: 2, strata: [])
        try short.append(low)
        #expect(throws: CodecError.truncated(offset: 112, needed: 48)) { try short.finish() }

        let full = try IndexSegmentStreamEncoder(entryCount: 1, strata: [])
        try full.append(low)
        #expect(throws: CodecError.invalidValue(offset: 112, field: "entry count")) { try full.append(high) }

        var tooLong = low
        tooLong.length = IndexEntry.maxLength + 1
        #expect(throws: CodecError.lengthOverflow(offset: 108, value: UInt64(IndexEntry.maxLength) + 1)) {
            try IndexSegmentCodec.encode(entries: [tooLong], strata: [])
        }
        var badKind = low
        badKind.kind = 16
        #expect(throws: CodecError.invalidValue(offset: 108, field: "kind")) { try IndexSegmentCodec.encode(entries: [badKind], strata: []) }
    }

    // MARK: corruption

    static func golden() -> [UInt8] { bytes(hex: goldenHex) }

    private func expectLayoutError(_ expected: CodecError, _ segment: [UInt8]) {
        #expect(throws: expected) { try segment.withUnsafeBytes { try IndexSegmentCodec.layout(of: $0) } }
    }

    @Test func badHeadersAreRejectedWithTheirOffset() {
        var magic = Self.golden()
        magic[3] ^= 0x20
        expectLayoutError(.badMagic(offset: 0), magic)

        var version = Self.golden()
        version[8] = 2
        expectLayoutError(.unsupportedVersion(offset: 8, version: 2), version)

        var count = Self.golden()
        count[16] ^= 1
        expectLayoutError(.checksumMismatch(offset: 32), count)

        var checksum = Self.golden()
        checksum[35] ^= 0x80
        expectLayoutError(.checksumMismatch(offset: 32), checksum)

        var width = Self.golden()
        width[10] = 40
        IndexSegmentCodec._restampHeaderChecksum(&width)
        expectLayoutError(.invalidValue(offset: 10, field: "entry width"), width)

        var huge = Self.golden()
        for index in 16..<24 { huge[index] = 0xFF }
        IndexSegmentCodec._restampHeaderChecksum(&huge)
        expectLayoutError(.lengthOverflow(offset: 16, value: .max), huge)

        var trailerMagic = Self.golden()
        trailerMagic[trailerMagic.count - 1] = 0
        expectLayoutError(.badMagic(offset: 228), trailerMagic)
    }

    @Test func wrongSizesAreRejected() {
        let golden = Self.golden()
        expectLayoutError(.truncated(offset: 0, needed: 64), [])
        expectLayoutError(.truncated(offset: 10, needed: 54), Array(golden.prefix(10)))
        expectLayoutError(.truncated(offset: 231, needed: 1), Array(golden.dropLast()))
        expectLayoutError(.invalidValue(offset: 232, field: "trailing bytes"), golden + [0])

        var moreEntries = golden
        moreEntries[16] = 4
        IndexSegmentCodec._restampHeaderChecksum(&moreEntries)
        expectLayoutError(.truncated(offset: 232, needed: 48), moreEntries)

        var fewerStrata = golden
        fewerStrata[24] = 1
        IndexSegmentCodec._restampHeaderChecksum(&fewerStrata)
        expectLayoutError(.invalidValue(offset: 224, field: "trailing bytes"), fewerStrata)
    }

    @Test func everyFlippedBitInTheBodyFailsVerification() throws {
        let golden = Self.golden()
        for offset in 64..<224 {
            for bit in [0, 3, 7] {
                var flipped = golden
                flipped[offset] ^= 1 << bit
                try flipped.withUnsafeBytes { buffer in
                    let layout = try IndexSegmentCodec.layout(of: buffer)  // opening does not read the body
                    #expect(throws: CodecError.checksumMismatch(offset: 224), "byte \(offset) bit \(bit)") {
                        try IndexSegmentCodec.verify(buffer, layout: layout)
                    }
                }
            }
        }
    }

    @Test func everyChangedHeaderByteFailsOpeningExceptReservedOnes() throws {
        let golden = Self.golden()
        for offset in 0..<64 {
            var changed = golden
            changed[offset] ^= 0x41
            let isReserved = (12..<16).contains(offset) || offset >= 36
            if isReserved { IndexSegmentCodec._restampHeaderChecksum(&changed) }
            // Reserved bytes are ignored on read (FORMAT.md, "Compatibility"); every other byte is checked.
            if isReserved {
                #expect(try IndexSegmentCodec.decode(changed).entries.count == 3, "byte \(offset)")
            } else {
                #expect(throws: CodecError.self, "byte \(offset)") { try changed.withUnsafeBytes { try IndexSegmentCodec.layout(of: $0) } }
            }
        }
    }

    @Test func unsortedEntriesBehindAValidChecksumFailVerification() throws {
        var swapped = Self.golden()
        let first = Array(swapped[64..<112])
        swapped.replaceSubrange(64..<112, with: swapped[112..<160])
        swapped.replaceSubrange(112..<160, with: first)
        IndexSegmentCodec._restampTrailerChecksum(&swapped)
        #expect(throws: CodecError.invalidValue(offset: 112, field: "key order")) { try IndexSegmentCodec.decode(swapped) }

        var strata = Self.golden()
        strata.replaceSubrange(208..<224, with: strata[216..<224] + strata[208..<216])
        IndexSegmentCodec._restampTrailerChecksum(&strata)
        #expect(throws: CodecError.invalidValue(offset: 216, field: "stratum order")) { try IndexSegmentCodec.decode(strata) }
    }

    /// Search must never trap or return a wrong entry, whatever the bytes.
    @Test(arguments: [0, 1, 47, 48, 49, 4800, 4831])
    func searchingArbitraryBytesNeverReturnsAWrongEntry(size: Int) {
        var rng = SplitMix64(seed: UInt64(size))
        let garbage = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
        garbage.withUnsafeBytes { region in
            let count = region.count / 48
            let stored = (0..<count).compactMap { IndexSegmentCodec.entry(at: $0, in: region)?.key }
            for key in stored + (0..<200).map({ _ in randomKey(&rng) }) {
                if let index = IndexSegmentCodec.search(key, in: region) {
                    #expect(IndexSegmentCodec.entry(at: index, in: region)?.key == key)
                }
            }
            #expect(IndexSegmentCodec.entry(at: count, in: region) == nil)
            #expect(IndexSegmentCodec.entry(at: -1, in: region) == nil)
        }
    }
}
