import BasinTestSupport
import Testing
@testable import BasinCore


private func randomKey(_ rng: inout SplitMix64, w0: UInt64? = nil) -> Key {
    Key(w0: w0 ?? rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next())
}

private func entries(for keys: some Sequence<Key>, _ rng: inout SplitMix64) -> [IndexEntry] {
    keys.map { key in
        IndexEntry(key: key, stratum: rng.next() % 1000, offset: UInt32.random(in: 0...UInt32.max, using: &rng),
                   length: UInt32.random(in: 0...IndexEntry.maxLength, using: &rng), kind: UInt8.random(in: 0...15, using: &rng),
                   plainLength: UInt32.random(in: 0...UInt32.max, using: &rng))
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
    // Four entries (two copies of one key) and two strata, given out of order; the expected
    // bytes below were written from the format (docs/FORMAT.md, "Index segments") by a separate
    // Python script using struct and libxxhash through ctypes, not with this code.
    static let second: UInt64 = 0x0102_0304_0506_0708
    static let goldenEntries = [
        IndexEntry(key: Key(bytes: [UInt8](repeating: 0xFF, count: 32))!, stratum: second, offset: 0x40, length: 0x30, kind: 3,
                   plainLength: 0x2F),
        IndexEntry(key: Key(bytes: [UInt8](repeating: 0xFF, count: 32))!, stratum: 1, offset: 0x48, length: 0x20, kind: 3,
                   plainLength: 0x1F),
        IndexEntry(key: Key(bytes: [0x80] + [UInt8](repeating: 0, count: 31))!, stratum: second,
                   offset: 0x1234_5678, length: IndexEntry.maxLength, kind: 15, plainLength: 0xDEAD_BEEF),
        IndexEntry(key: Key(bytes: (1...32).map { UInt8($0) })!, stratum: 1, offset: 0x40, length: 0x100, kind: 1, plainLength: 0x200),
    ]
    static let goldenStrata = [
        IndexedStratum(id: second, lane: .data, size: 0x2000_0000, plainBytes: 0xDEAD_BEEF + 0x2F, grainCount: 2, scanned: true),
        IndexedStratum(id: 1, lane: .meta, size: 0x1000, plainBytes: 0x21F, grainCount: 2),
    ]
    static let goldenHex = """
        42534e494e444558 0200 3400 00000000 0400000000000000 0200000000000000 187794c2
        00000000000000000000000000000000000000000000000000000000
        0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20 0100000000000000 40000000 00010010 00020000
        8000000000000000000000000000000000000000000000000000000000000000 0807060504030201 78563412 ffffffff efbeadde
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 0100000000000000 48000000 20000030 1f000000
        ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff 0807060504030201 40000000 30000030 2f000000
        0100000000000000 0010000000000000 1f02000000000000 02000000 01 00 0000
        0807060504030201 0000002000000000 1ebfadde00000000 02000000 00 01 0000
        0211f326 42534958
        """

    @Test func goldenSegmentMatchesHandWrittenBytes() throws {
        let golden = bytes(hex: Self.goldenHex)
        #expect(golden.count == 64 + 4 * 52 + 2 * 32 + 8)
        #expect(try IndexSegmentCodec.encode(entries: Self.goldenEntries, strata: Self.goldenStrata) == golden)
        let decoded = try IndexSegmentCodec.decode(golden)
        #expect(decoded.entries == Self.goldenEntries.sorted(by: IndexEntry.precedes))
        #expect(decoded.strata == Self.goldenStrata.sorted { $0.id < $1.id })
    }

    /// Records for the distinct strata of `entries`.
    static func records(_ entries: [IndexEntry]) -> [IndexedStratum] {
        Set(entries.map(\.stratum)).map { IndexedStratum(id: $0, lane: .data, size: 1 << 20, plainBytes: 0, grainCount: 0) }
    }

    @Test(arguments: [0, 1, 2, 1000, 100_000])
    func roundTripFindsEveryKeyAndNoAbsentOne(count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count) &+ 7)
        let original = entries(for: (0..<count).map { _ in randomKey(&rng) }, &rng)
        let strata = Self.records(original)
        let segment = try IndexSegmentCodec.encode(entries: original, strata: strata)
        #expect(segment.count == IndexSegmentCodec.segmentSize(entryCount: count, strataCount: strata.count))
        let decoded = try IndexSegmentCodec.decode(segment)
        #expect(decoded.entries == original.sorted(by: IndexEntry.precedes))
        #expect(decoded.strata == strata.sorted { $0.id < $1.id })
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
        let segment = try IndexSegmentCodec.encode(entries: original, strata: Self.records(original))
        let absent = keys.map { Key(w0: $0.w0, w1: $0.w1 ^ 1, w2: $0.w2, w3: $0.w3) } + (0..<500).map { _ in randomKey(&rng) }
        try expectSearches(segment, present: original, absent: absent)
    }

    @Test func copiesOfAKeyInSeveralStrataAllStayAndARepeatedCopyKeepsTheLastGiven() throws {
        var rng = SplitMix64(seed: 3)
        let key = randomKey(&rng), other = randomKey(&rng)
        let first = IndexEntry(key: key, stratum: 2, offset: 10, length: 5, kind: 1, plainLength: 5)
        let second = IndexEntry(key: key, stratum: 1, offset: 20, length: 5, kind: 1, plainLength: 5)
        let third = IndexEntry(key: other, stratum: 1, offset: 30, length: 5, kind: 1, plainLength: 5)
        var again = first
        again.length = 7
        let records = Self.records([first, second])
        let decoded = try IndexSegmentCodec.decode(IndexSegmentCodec.encode(entries: [first, third, second, again, third],
                                                                            strata: records + records))
        let copies = [second, again]  // stratum 1 before stratum 2; the repeated copy's last entry
        #expect(decoded.entries == (key < other ? copies + [third] : [third] + copies))
        #expect(decoded.strata.map(\.id) == [1, 2])
        try expectSearches(IndexSegmentCodec.encode(entries: [third], strata: []), present: [third], absent: [key])
    }

    @Test func streamedPiecesEqualTheWholeEncoding() throws {
        var rng = SplitMix64(seed: 9)
        let sorted = IndexSegmentCodec.sortedUnique(entries(for: (0..<3000).map { _ in randomKey(&rng) }, &rng))
        let strata = Self.records(sorted)
        let encoder = try IndexSegmentStreamEncoder(entryCount: sorted.count, strata: strata.reversed())
        var streamed: [UInt8] = []
        for (position, entry) in sorted.enumerated() {
            try encoder.append(entry)
            if position % 700 == 0 { streamed += encoder.takePending() }
        }
        streamed += try encoder.finish()
        #expect(streamed == (try IndexSegmentCodec.encode(entries: sorted, strata: strata)))
    }

    @Test func streamEncoderRejectsMisuseWithOffsets() throws {
        let low = IndexEntry(key: Key(w0: 1, w1: 0, w2: 0, w3: 0), stratum: 1, offset: 0, length: 0, kind: 0, plainLength: 0)
        let high = IndexEntry(key: Key(w0: 2, w1: 0, w2: 0, w3: 0), stratum: 1, offset: 0, length: 0, kind: 0, plainLength: 0)

        let outOfOrder = try IndexSegmentStreamEncoder(entryCount: 2, strata: [])
        try outOfOrder.append(high)
        #expect(throws: CodecError.invalidValue(offset: 116, field: "key order")) { try outOfOrder.append(low) }
        #expect(throws: CodecError.invalidValue(offset: 116, field: "key order")) { try outOfOrder.append(high) }
        var sameKeyLowerStratum = high
        sameKeyLowerStratum.stratum = 0
        #expect(throws: CodecError.invalidValue(offset: 116, field: "key order")) { try outOfOrder.append(sameKeyLowerStratum) }

        let short = try IndexSegmentStreamEncoder(entryCount: 2, strata: [])
        try short.append(low)
        #expect(throws: CodecError.truncated(offset: 116, needed: 52)) { try short.finish() }

        let full = try IndexSegmentStreamEncoder(entryCount: 1, strata: [])
        try full.append(low)
        #expect(throws: CodecError.invalidValue(offset: 116, field: "entry count")) { try full.append(high) }

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
        version[8] = 1
        expectLayoutError(.unsupportedVersion(offset: 8, version: 1), version)

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
        expectLayoutError(.badMagic(offset: 340), trailerMagic)
    }

    @Test func wrongSizesAreRejected() {
        let golden = Self.golden()
        expectLayoutError(.truncated(offset: 0, needed: 64), [])
        expectLayoutError(.truncated(offset: 10, needed: 54), Array(golden.prefix(10)))
        expectLayoutError(.truncated(offset: 343, needed: 1), Array(golden.dropLast()))
        expectLayoutError(.invalidValue(offset: 344, field: "trailing bytes"), golden + [0])

        var moreEntries = golden
        moreEntries[16] = 5
        IndexSegmentCodec._restampHeaderChecksum(&moreEntries)
        expectLayoutError(.truncated(offset: 344, needed: 52), moreEntries)

        var fewerStrata = golden
        fewerStrata[24] = 1
        IndexSegmentCodec._restampHeaderChecksum(&fewerStrata)
        expectLayoutError(.invalidValue(offset: 312, field: "trailing bytes"), fewerStrata)
    }

    @Test func everyFlippedBitInTheBodyFailsVerification() throws {
        let golden = Self.golden()
        for offset in 64..<336 {
            for bit in [0, 3, 7] {
                var flipped = golden
                flipped[offset] ^= 1 << bit
                try flipped.withUnsafeBytes { buffer in
                    let layout = try IndexSegmentCodec.layout(of: buffer)  // opening does not read the body
                    #expect(throws: CodecError.checksumMismatch(offset: 336), "byte \(offset) bit \(bit)") {
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
                #expect(try IndexSegmentCodec.decode(changed).entries.count == 4, "byte \(offset)")
            } else {
                #expect(throws: CodecError.self, "byte \(offset)") { try changed.withUnsafeBytes { try IndexSegmentCodec.layout(of: $0) } }
            }
        }
    }

    @Test func unsortedEntriesOrStrataBehindAValidChecksumFailDecoding() throws {
        func swapping(_ a: Range<Int>, _ b: Range<Int>) -> [UInt8] {
            var bytes = Self.golden()
            let first = Array(bytes[a])
            bytes.replaceSubrange(a, with: bytes[b])
            bytes.replaceSubrange(b, with: first)
            IndexSegmentCodec._restampTrailerChecksum(&bytes)
            return bytes
        }
        #expect(throws: CodecError.invalidValue(offset: 116, field: "key order")) { try IndexSegmentCodec.decode(swapping(64..<116, 116..<168)) }
        // Two copies of one key: stratum ids must ascend too.
        #expect(throws: CodecError.invalidValue(offset: 220, field: "key order")) { try IndexSegmentCodec.decode(swapping(168..<220, 220..<272)) }
        #expect(throws: CodecError.invalidValue(offset: 304, field: "stratum order")) { try IndexSegmentCodec.decode(swapping(272..<304, 304..<336)) }

        var lane = Self.golden()
        lane[272 + 28] = 2  // the index lane holds no strata
        IndexSegmentCodec._restampTrailerChecksum(&lane)
        #expect(throws: CodecError.invalidValue(offset: 300, field: "lane")) { try IndexSegmentCodec.decode(lane) }
    }

    /// Search must never trap or return a wrong entry, whatever the bytes.
    @Test(arguments: [0, 1, 51, 52, 53, 5200, 5231])
    func searchingArbitraryBytesNeverReturnsAWrongEntry(size: Int) {
        var rng = SplitMix64(seed: UInt64(size))
        let garbage = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
        garbage.withUnsafeBytes { region in
            let count = region.count / IndexSegmentCodec.entryWidth
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
