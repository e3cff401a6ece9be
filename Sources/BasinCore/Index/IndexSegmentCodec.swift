/// Encodes, validates and searches index segments (docs/FORMAT.md, "Index segment").
///
/// A segment is a 64-byte header (magic "BSNINDEX", version 2, entry width 52, entry and
/// stratum counts, xxh32 of bytes 0..<32), the entries sorted strictly ascending by (key,
/// stratum, offset) — a key several strata hold has an entry per copy — the covered-stratum
/// records ascending by id, and a trailer (xxh32 of entries and strata, "BSIX").
/// Opening a segment needs only ``IndexSegmentLayout``; ``verify(_:layout:)`` reads it whole.
public enum IndexSegmentCodec {
    /// Bytes in the header.
    public static let headerSize = 64
    /// Bytes per entry: key 32, stratum id 8, frame offset 4, length and kind 4, plain length 4.
    public static let entryWidth = 52
    /// Bytes in the trailer: xxh32 of entries and strata, then ``trailerMagic``.
    public static let trailerSize = 8
    /// The format version this code writes and reads.
    public static let version: UInt16 = 2
    /// The header's first 8 bytes, "BSNINDEX".
    public static let magic = Array("BSNINDEX".utf8)
    /// The trailer's last 4 bytes, "BSIX".
    public static let trailerMagic = Array("BSIX".utf8)

    /// The size of a segment with these counts, or nil if it cannot be addressed.
    public static func segmentSize(entryCount: Int, strataCount: Int) -> Int? {
        guard entryCount >= 0, strataCount >= 0,
              entryCount <= (Int.max / 64) / entryWidth, strataCount <= (Int.max / 64) / IndexedStratum.encodedSize else { return nil }
        return headerSize + entryCount * entryWidth + strataCount * IndexedStratum.encodedSize + trailerSize
    }

    /// Sorts entries into segment order and keeps one per copy (key, stratum and offset): the
    /// last one given for it. Copies of a key in different strata all stay.
    /// - Parameter entries: Entries in any order, possibly repeated.
    /// - Returns: The entries strictly ascending by (key, stratum, offset).
    /// - Complexity: O(n log n).
    public static func sortedUnique(_ entries: [IndexEntry]) -> [IndexEntry] {
        // Sorting positions by (entry order, position) makes "last one wins" independent of sort stability.
        let order = entries.indices.sorted { a, b in
            entries[a].isSameCopy(as: entries[b]) ? a < b : IndexEntry.precedes(entries[a], entries[b])
        }
        var unique = [IndexEntry]()
        unique.reserveCapacity(entries.count)
        for (rank, position) in order.enumerated() {
            let isLastOfCopy = rank + 1 == order.count || !entries[order[rank + 1]].isSameCopy(as: entries[position])
            if isLastOfCopy { unique.append(entries[position]) }
        }
        return unique
    }

    /// Encodes a whole segment in memory.
    /// - Parameters:
    ///   - entries: The entries in any order; a repeated copy keeps the last entry given.
    ///   - strata: The covered strata in any order; a repeated id keeps the last record given.
    /// - Returns: The segment's bytes.
    /// - Throws: ``CodecError`` when an entry's length or kind does not fit its field (see
    ///   ``IndexSegmentStreamEncoder/append(_:)``).
    public static func encode(entries: [IndexEntry], strata: [IndexedStratum]) throws(CodecError) -> [UInt8] {
        let unique = sortedUnique(entries)
        let encoder = try IndexSegmentStreamEncoder(entryCount: unique.count, strata: strata)
        for entry in unique { try encoder.append(entry) }
        return try encoder.finish()
    }

    /// Validates the header and size of a segment held in memory (not its trailer checksum).
    /// - Parameter segment: The whole segment.
    /// - Returns: Where its regions lie.
    /// - Throws: ``CodecError``, as ``IndexSegmentLayout/init(header:trailer:totalSize:)``.
    public static func layout(of segment: UnsafeRawBufferPointer) throws(CodecError) -> IndexSegmentLayout {
        try IndexSegmentLayout(header: Array(segment.prefix(headerSize)),
                               trailer: Array(segment.suffix(trailerSize)), totalSize: segment.count)
    }

    /// Checks what opening a segment does not: the trailer checksum and the strict order of
    /// entries. Reads every byte.
    /// - Parameters:
    ///   - segment: The whole segment.
    ///   - layout: Its layout, from ``layout(of:)``.
    /// - Throws: ``CodecError``: `.checksumMismatch` at the trailer's offset, `.invalidValue`
    ///   at the first entry out of order.
    public static func verify(_ segment: UnsafeRawBufferPointer, layout: IndexSegmentLayout) throws(CodecError) {
        guard segment.count == layout.totalSize else {
            throw .truncated(offset: segment.count, needed: max(0, layout.totalSize - segment.count))
        }
        let stored = IndexSegmentLayout.readUInt32(Array(segment[layout.trailerOffset..<layout.trailerOffset + 4]), at: 0)
        let covered = UnsafeRawBufferPointer(rebasing: segment[layout.checksummedRange])
        guard SegmentChecksum.of(covered) == stored else { throw .checksumMismatch(offset: layout.trailerOffset) }
        if let offset = _UnsafeIndexSearch.firstOutOfOrder(entries(of: segment, layout: layout)) {
            throw .invalidValue(offset: layout.entriesRange.lowerBound + offset, field: "key order")
        }
    }

    /// The entries region of a segment.
    public static func entries(of segment: UnsafeRawBufferPointer, layout: IndexSegmentLayout) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: segment[clamped(layout.entriesRange, segment.count)])
    }

    /// The covered-stratum records of a segment, in stored order.
    /// - Throws: ``CodecError`` for a record with an unknown lane or an impossible size, or
    ///   `.invalidValue` ("stratum order") for ids not strictly ascending.
    public static func strata(of segment: UnsafeRawBufferPointer, layout: IndexSegmentLayout) throws(CodecError) -> [IndexedStratum] {
        let range = clamped(layout.strataRange, segment.count)
        var reader = ByteReader(Array(segment[range]), baseOffset: range.lowerBound)
        var records: [IndexedStratum] = []
        records.reserveCapacity(layout.strataCount)
        for index in 0..<layout.strataCount {
            let offset = range.lowerBound + index * IndexedStratum.encodedSize
            let record = try IndexedStratum.read(from: &reader, offset: offset)
            if let previous = records.last, previous.id >= record.id { throw .invalidValue(offset: offset, field: "stratum order") }
            records.append(record)
        }
        return records
    }

    /// Finds a key among sorted entries by interpolation search.
    /// - Parameters:
    ///   - key: The key sought.
    ///   - entries: An entries region (``entries(of:layout:)``); any bytes are safe to search.
    /// - Returns: The index of an entry with that key (of any copy, when several strata hold
    ///   it), or nil.
    /// - Complexity: O(log log n) expected probes on uniform keys, O(log n) at worst.
    public static func search(_ key: Key, in entries: UnsafeRawBufferPointer) -> Int? {
        _UnsafeIndexSearch.search(key, in: entries)
    }

    /// Entry `index` of an entries region, or nil when `index` is out of range.
    public static func entry(at index: Int, in entries: UnsafeRawBufferPointer) -> IndexEntry? {
        guard index >= 0, index < _UnsafeIndexSearch.count(entries) else { return nil }
        return _UnsafeIndexSearch.entry(entries, index)
    }

    /// Decodes and verifies a whole segment held in memory.
    /// - Parameter bytes: The segment.
    /// - Returns: Its entries (in segment order) and covered-stratum records.
    /// - Throws: ``CodecError`` from ``layout(of:)``, ``verify(_:layout:)`` or ``strata(of:layout:)``.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> (entries: [IndexEntry], strata: [IndexedStratum]) {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let result = bytes.withUnsafeBytes { segment in
            Result { () throws(CodecError) -> (entries: [IndexEntry], strata: [IndexedStratum]) in
                let layout = try layout(of: segment)
                try verify(segment, layout: layout)
                let region = entries(of: segment, layout: layout)
                return ((0..<layout.entryCount).map { _UnsafeIndexSearch.entry(region, $0) }, try strata(of: segment, layout: layout))
            }
        }
        return try result.get()
    }

    private static func clamped(_ range: Range<Int>, _ count: Int) -> Range<Int> {
        range.clamped(to: 0..<count)
    }
}
