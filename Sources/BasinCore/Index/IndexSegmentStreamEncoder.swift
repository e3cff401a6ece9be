/// Writes an index segment piece by piece, so a merge of millions of entries never holds the
/// whole segment in memory.
///
/// The header comes first and carries the counts, and backends only append, so the entry count
/// is declared up front (a merge counts its output in a first pass over its inputs) and checked
/// at ``finish()``. Entries must arrive strictly ascending by (key, stratum, offset). Typical use:
///
/// ```swift
/// let encoder = try IndexSegmentStreamEncoder(entryCount: n, strata: ids)
/// for entry in sortedEntries {
///     try encoder.append(entry)
///     if encoder.pendingByteCount >= 1 << 20 { try await upload.append(encoder.takePending()) }
/// }
/// try await upload.append(encoder.finish())  // the rest, the strata and the trailer
/// ```
public final class IndexSegmentStreamEncoder {
    private typealias Codec = IndexSegmentCodec

    /// The entry count declared in the header.
    public let entryCount: Int
    /// The covered-stratum records, ascending by id and unique, as they will be written.
    public let strata: [IndexedStratum]
    private var pending: ByteWriter
    /// Where the pending bytes not yet fed to the checksum start (the header is not covered).
    private var unhashed = 0
    private var appended = 0
    private var last: IndexEntry?
    private let checksum = SegmentChecksum()
    private var isFinished = false

    /// Starts a segment and puts its header in the pending bytes.
    /// - Parameters:
    ///   - entryCount: Exactly how many entries will be appended.
    ///   - strata: The covered strata in any order; a repeated id keeps the last record given.
    /// - Throws: ``CodecError/lengthOverflow(offset:value:)`` when the counts cannot be addressed.
    public init(entryCount: Int, strata: [IndexedStratum]) throws(CodecError) {
        let strata = Dictionary(strata.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last }).values.sorted { $0.id < $1.id }
        guard entryCount >= 0 else { throw .lengthOverflow(offset: 16, value: UInt64(bitPattern: Int64(entryCount))) }
        guard Codec.segmentSize(entryCount: entryCount, strataCount: strata.count) != nil else {
            throw .lengthOverflow(offset: 16, value: UInt64(entryCount))
        }
        self.entryCount = entryCount
        self.strata = strata
        var header = ByteWriter(capacity: Codec.headerSize)
        header.write(bytes: Codec.magic)
        header.write(Codec.version)
        header.write(UInt16(Codec.entryWidth))
        header.write(UInt32(0))
        header.write(UInt64(entryCount))
        header.write(UInt64(strata.count))
        header.write(SegmentChecksum.of(header.bytes))
        header.write(bytes: repeatElement(UInt8(0), count: Codec.headerSize - header.count))
        pending = header
        unhashed = header.count
    }

    /// Bytes encoded but not yet taken.
    public var pendingByteCount: Int { pending.count }

    /// Removes and returns the bytes encoded so far; they follow those taken before.
    public func takePending() -> [UInt8] {
        checksum.update(pending.bytes[unhashed...])
        defer { (pending, unhashed) = (ByteWriter(), 0) }
        return pending.bytes
    }

    /// Encodes the next entry.
    /// - Parameter entry: An entry after every entry appended before in segment order
    ///   (``IndexEntry/precedes(_:_:)``).
    /// - Throws: ``CodecError`` naming the offset the entry would have in the segment:
    ///   `.invalidValue` ("key order") for an entry not strictly after the last, ("kind") for a kind
    ///   above ``IndexEntry/maxKind``, ("entry count") past the declared count or after
    ///   ``finish()``; `.lengthOverflow` for a length above ``IndexEntry/maxLength``.
    public func append(_ entry: IndexEntry) throws(CodecError) {
        let offset = Codec.headerSize + appended * Codec.entryWidth
        guard !isFinished, appended < entryCount else { throw .invalidValue(offset: offset, field: "entry count") }
        if let last, !IndexEntry.precedes(last, entry) { throw .invalidValue(offset: offset, field: "key order") }
        guard entry.length <= IndexEntry.maxLength else { throw .lengthOverflow(offset: offset + 44, value: UInt64(entry.length)) }
        guard entry.kind <= IndexEntry.maxKind else { throw .invalidValue(offset: offset + 44, field: "kind") }
        // Key words are big-endian on disk: byte-swapping, then writing little-endian, gives that.
        for word in [entry.key.w0, entry.key.w1, entry.key.w2, entry.key.w3] { pending.write(word.byteSwapped) }
        pending.write(entry.stratum)
        pending.write(entry.offset)
        pending.write(UInt32(entry.kind) << 28 | entry.length)
        pending.write(entry.plainLength)
        last = entry
        appended += 1
    }

    /// Ends the segment.
    /// - Returns: The pending bytes, then the covered-stratum records and the trailer.
    /// - Throws: ``CodecError/truncated(offset:needed:)`` when fewer entries than declared were
    ///   appended; `.invalidValue` ("entry count") when called twice.
    public func finish() throws(CodecError) -> [UInt8] {
        let offset = Codec.headerSize + appended * Codec.entryWidth
        guard !isFinished else { throw .invalidValue(offset: offset, field: "entry count") }
        guard appended == entryCount else {
            throw .truncated(offset: offset, needed: (entryCount - appended) * Codec.entryWidth)
        }
        isFinished = true
        for stratum in strata { stratum.write(to: &pending) }
        var bytes = takePending()
        var trailer = ByteWriter(capacity: Codec.trailerSize)
        trailer.write(checksum.digest)
        trailer.write(bytes: Codec.trailerMagic)
        bytes += trailer.bytes
        return bytes
    }
}
