import BasinCore

/// Index segments and the binary values of BasinCore: clasts, trees, root records.
extension FuzzDecoder {
    /// Mode byte (repairs only), then a whole index segment.
    static let indexSegment = FuzzDecoder(name: "index-segment", maxLength: 8 << 10, run: { input in
        guard let (mode, original) = Mode.split(input) else { return false }
        var bytes = original
        if mode.repairs { repairIndexSegment(&bytes) }
        // Opening a segment reads only its layout; searching its entries must be safe whatever they hold.
        bytes.withUnsafeBytes { segment in
            guard let layout = try? IndexSegmentCodec.layout(of: segment) else { return }
            let region = IndexSegmentCodec.entries(of: segment, layout: layout)
            let probes = [Key(w0: 0, w1: 0, w2: 0, w3: 0), Key(w0: .max, w1: .max, w2: .max, w3: .max)]
                + (segment.count >= 96 ? [Key(bytes: segment[64..<96])!] : [])
            for probe in probes {
                if let index = IndexSegmentCodec.search(probe, in: region) {
                    check(IndexSegmentCodec.entry(at: index, in: region)?.key == probe, "search found another key")
                }
            }
            _ = try? IndexSegmentCodec.strata(of: segment, layout: layout)
        }
        guard let decoded = try? IndexSegmentCodec.decode(bytes) else { return false }
        bytes.withUnsafeBytes { segment in
            let region = IndexSegmentCodec.entries(of: segment, layout: try! IndexSegmentCodec.layout(of: segment))
            for entry in decoded.entries.prefix(64) {
                let found = IndexSegmentCodec.search(entry.key, in: region).flatMap { IndexSegmentCodec.entry(at: $0, in: region) }
                check(found?.key == entry.key, "search misses a key the segment holds")
            }
        }
        let again = (try? IndexSegmentCodec.encode(entries: decoded.entries, strata: decoded.strata))
            .flatMap { try? IndexSegmentCodec.decode($0) }
        check(again?.entries == decoded.entries && again?.strata == decoded.strata, "index segment does not re-encode")
        return true
    }, seeds: Seeds.indexSegments)

    /// The header checksum, and the trailer's once the header's counts fit the size.
    private static func repairIndexSegment(_ bytes: inout [UInt8]) {
        guard bytes.count >= IndexSegmentCodec.headerSize else { return }
        bytes.storeUInt32(XXH32.hash(bytes[0..<32]), at: 32)
        guard let layout = bytes.withUnsafeBytes({ try? IndexSegmentCodec.layout(of: $0) }) else { return }
        bytes.storeUInt32(XXH32.hash(bytes[layout.checksummedRange]), at: layout.trailerOffset)
    }

    static let clast = FuzzDecoder(name: "clast", maxLength: 4 << 10, run: { input in
        guard let clast = try? Clast.decode(input) else { return false }
        check((try? Clast.decode(clast.encoded())) == clast, "clast does not re-encode")
        return true
    }, seeds: Seeds.clasts)

    static let tree = FuzzDecoder(name: "tree", maxLength: 8 << 10, run: { input in
        guard let tree = try? Tree.decode(input) else { return false }
        check((try? Tree.decode(tree.encoded())) == tree, "tree does not re-encode")
        for entry in tree.entries { _ = entry.displayName }
        return true
    }, seeds: Seeds.trees)

    static let rootRecord = FuzzDecoder(name: "root-record", maxLength: 4 << 10, run: { input in
        guard let record = try? RootRecord.decode(input) else { return false }
        check((try? RootRecord.decode(record.encoded())) == record, "root record does not re-encode")
        var state = RootState()
        state.apply(record)
        return true
    }, seeds: Seeds.rootRecords)
}
