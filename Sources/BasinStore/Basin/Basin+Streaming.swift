import BasinBackend
import BasinCore

extension Basin {
    /// Chunks hashed and compressed at once by one streamed put: enough to keep both cores
    /// busy on one large value, few enough that memory stays bounded (each is ≤ max chunk size).
    static let chunksInFlight = 3

    /// Stores a value read piece by piece from `read`, with memory bounded by a few maximum
    /// chunk sizes however long the value is. Chunks are hashed, compressed and sealed
    /// concurrently while the next ones are read.
    ///
    /// - Parameter read: fills a prefix of the buffer it is given, returning the number of
    ///   bytes read; 0 means the end of the value.
    ///   - storing: false to only compute the key (a dry run).
    /// - Returns: the value's key (the same as `put` of the whole value would return).
    public nonisolated func put(reading read: (UnsafeMutableRawBufferPointer) throws -> Int,
                                storing: Bool = true) async throws(BasinError) -> Key {
        var chunker = Chunker(parameters: parameters)
        var whole = keyFunction.makeHasher()
        var lengths: [Int] = []
        var keys: [Key?] = []
        do {
            try await withThrowingTaskGroup(of: (Int, Key).self) { group in
                var inFlight = 0
                while let chunk = try chunker.next(read: read) {
                    whole.update(chunk)
                    guard storing else { continue }
                    let index = lengths.count
                    lengths.append(chunk.count)
                    keys.append(nil)
                    if inFlight == Self.chunksInFlight, let (done, key) = try await group.next() {
                        keys[done] = key
                        inFlight -= 1
                    }
                    group.addTask { (index, try await self.putBlob(chunk, key: self.keyFunction.key(of: chunk))) }
                    inFlight += 1
                }
                while let (done, key) = try await group.next() { keys[done] = key }
            }
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.unavailable, "reading the value to store failed: \(error)", underlying: error)
        }
        guard let key = Key(bytes: whole.finalize()) else { throw BasinError(.internalError, "hash output has the wrong size") }
        if keys.count == 1 || !storing { return key }
        if keys.isEmpty { return try await putBlob([], key: key) }
        let clast = Clast(chunks: zip(keys, lengths).map { Clast.Chunk(key: $0!, length: $1) })
        return try await putClast(clast, key: key)
    }
}
