import BasinCore

extension Basin {
    /// Stores a value read piece by piece from `read`, with memory bounded by about twice the
    /// maximum chunk size however long the value is.
    ///
    /// - Parameter read: fills the buffer it is given from its start, returning the number of
    ///   bytes read; 0 means the end of the value.
    /// - Returns: the value's key (the same as `put` of the whole value would return).
    public nonisolated func put(reading read: (UnsafeMutableRawBufferPointer) throws -> Int) async throws(BasinError) -> Key {
        let chunker = FastCDC(parameters: parameters)
        let maxSize = parameters.maxSize
        var buffer = [UInt8](repeating: 0, count: 2 * maxSize)
        var filled = 0
        var ended = false
        var whole = keyFunction.makeHasher()
        var clast = Clast(chunks: [])
        var firstChunk: (key: Key, length: Int)?
        while true {
            // Keep at least one maximum chunk in the buffer unless the value has ended.
            while !ended, filled < maxSize {
                let count: Int
                do {
                    count = try buffer.withUnsafeMutableBytes { try read(UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
                } catch {
                    throw BasinError(.unavailable, "reading the value to store failed", underlying: error)
                }
                if count == 0 { ended = true } else { filled += count }
            }
            if filled == 0 { break }
            let length = buffer.withUnsafeBytes { chunker.cut(UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
            let piece = Array(buffer[0..<length])
            buffer.removeFirst(length)
            buffer.append(contentsOf: repeatElement(0, count: length))
            filled -= length
            whole.update(piece)
            let chunkKey = try await putBlob(piece, key: keyFunction.key(of: piece))
            clast.chunks.append(Clast.Chunk(key: chunkKey, length: length))
            if firstChunk == nil { firstChunk = (chunkKey, length) }
        }
        if clast.chunks.count == 1, let firstChunk { return firstChunk.key }
        guard let key = Key(bytes: whole.finalize()) else { throw BasinError(.internalError, "hash output has the wrong size") }
        if clast.chunks.isEmpty { return try await putBlob([], key: key) }
        return try await putClast(clast, key: key)
    }
}
