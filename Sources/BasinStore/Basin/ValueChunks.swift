import BasinCore

/// The chunks of a value held whole, cut where it lies: the chunks a ``Chunker`` would cut
/// from the same bytes read as a stream, without copying them into a stream buffer. A value of
/// one chunk is returned as it is.
struct ValueChunks {
    let value: [UInt8]
    let chunker: FastCDC
    private var start = 0

    init(_ value: [UInt8], chunker: FastCDC) {
        self.value = value
        self.chunker = chunker
    }

    /// The next chunk, or nil after the last.
    mutating func next() -> [UInt8]? {
        guard start < value.count else { return nil }
        let length = value.withUnsafeBytes { chunker.cut(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        defer { start += length }
        if start == 0, length == value.count { return value }
        return Array(value[start..<(start + length)])
    }
}
