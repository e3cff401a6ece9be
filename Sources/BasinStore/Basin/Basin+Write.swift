import BasinBackend
import BasinCore

extension Basin {
    // MARK: - Putting values

    /// Chunks hashed and compressed at once by one put: enough to keep both cores busy on one
    /// large value, few enough that memory stays bounded (each is ≤ max chunk size).
    static let chunksInFlight = 3

    /// Writes the grains of `value` and returns its key. Storing a key already held writes nothing.
    /// Nothing keeps the value yet: a batch's root record or a snapshot must reach it before
    /// the next prune (a library user's `put` does both, see BasinKit).
    ///
    /// A value that content-defined chunking cuts into one chunk is one blob grain; a larger
    /// one is a blob per chunk plus a clast keyed by the whole value. The same as
    /// ``writeValue(reading:)`` of the value, cutting the buffer where it is.
    /// - Throws: the error of a failed commit.
    @discardableResult
    package nonisolated func writeValue(_ value: [UInt8]) async throws(BasinError) -> Key {
        var chunks = ValueChunks(value, chunker: FastCDC(parameters: parameters))
        return try await put(chunks: { chunks.next() })
    }

    /// Stores a value read piece by piece from `read`, with memory bounded by a few maximum
    /// chunk sizes however long the value is.
    ///
    /// - Parameter read: fills a prefix of the buffer it is given, returning the number of
    ///   bytes read; 0 means the end of the value.
    /// - Returns: the value's key (the same as `put` of the whole value would return).
    /// - Throws: `.unavailable` wrapping what `read` threw; the error of a failed commit.
    @discardableResult
    package nonisolated func writeValue(reading read: (UnsafeMutableRawBufferPointer) throws -> Int) async throws(BasinError) -> Key {
        var chunker = Chunker(parameters: parameters)
        return try await put(chunks: { try chunker.next(read: read) })
    }

    /// The key of a value read piece by piece from `read`, storing nothing (a dry run's key).
    /// - Throws: what `read` throws.
    public nonisolated func key(reading read: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> Key {
        var hasher = keyFunction.makeHasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try read($0) }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        return Key(bytes: hasher.finalize())!
    }

    /// The one put: chunks come from `next` until it returns nil. A value of one chunk is one
    /// blob, stored here; the chunks of a larger one are hashed, compressed and sealed
    /// ``chunksInFlight`` at a time while the next ones are read, then its clast is stored.
    nonisolated func put(chunks next: () throws -> [UInt8]?) async throws(BasinError) -> Key {
        do {
            guard let first = try next() else { return try await putBlob([], key: keyFunction.key(of: [])) }
            guard let second = try next() else { return try await putBlob(first, key: keyFunction.key(of: first)) }
            var whole = keyFunction.makeHasher()
            var lengths: [Int] = []
            var keys: [Key?] = []
            try await withThrowingTaskGroup(of: (Int, Key).self) { group in
                var inFlight = 0
                var upcoming: [UInt8]? = first
                var lookahead: [UInt8]? = second
                while let chunk = upcoming {
                    whole.update(chunk)
                    let index = lengths.count
                    lengths.append(chunk.count)
                    keys.append(nil)
                    if inFlight == Self.chunksInFlight, let (done, key) = try await group.next() {
                        keys[done] = key
                        inFlight -= 1
                    }
                    group.addTask { (index, try await self.putBlob(chunk, key: self.keyFunction.key(of: chunk))) }
                    inFlight += 1
                    if let held = lookahead {
                        upcoming = held
                        lookahead = nil
                    } else {
                        upcoming = try next()
                    }
                }
                while let (done, key) = try await group.next() { keys[done] = key }
            }
            guard let key = Key(bytes: whole.finalize()) else { throw BasinError(.internalError, "hash output has the wrong size") }
            let clast = Clast(chunks: zip(keys, lengths).map { Clast.Chunk(key: $0!, length: $1) })
            return try await putClast(clast, key: key)
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.unavailable, "reading the value to store failed: \(error)", underlying: error)
        }
    }

    /// Stores one grain of `kind` (not a blob that may need chunking: see `put`), keyed by its content.
    @discardableResult
    package nonisolated func putGrain(_ plain: [UInt8], kind: GrainKind) async throws(BasinError) -> Key {
        precondition(kind != .index && kind != .clast, "index grains are written by strata, clasts by put")
        let key = keyFunction.key(of: plain)
        try await putPrepared(plain, kind: kind, key: key)
        return key
    }

    nonisolated func putBlob(_ plain: [UInt8], key: Key) async throws(BasinError) -> Key {
        try await putPrepared(plain, kind: .blob, key: key)
        return key
    }

    nonisolated func putClast(_ clast: Clast, key: Key) async throws(BasinError) -> Key {
        try await putPrepared(clast.encoded(), kind: .clast, key: key)
        return key
    }

    /// Compresses in the caller's task (the parallel part), then seals in order in the lane's writer.
    nonisolated func putPrepared(_ plain: [UInt8], kind: GrainKind, key: Key) async throws(BasinError) {
        if index.lookup(key) != nil { return }
        let prepared: PreparedGrain
        do {
            prepared = try PreparedGrain.prepare(kind: kind, key: key, plain: plain, compressionLevel: compressionLevel)
        } catch {
            throw BasinError(.invalidArgument, "value with key \(key) cannot be stored: \(error)", underlying: error)
        }
        try await writer(kind.lane).insert(prepared)
    }

    // MARK: - Committing

    /// Commits every open stratum (data first, then meta: a clast is never durable before its
    /// chunks) and waits until they are durable and indexed.
    /// - Throws: the error of any failed commit; the basin then refuses writes.
    public func flush() async throws(BasinError) {
        try await dataWriter.flush()
        try await metaWriter.flush()
        try await index.mergeIfNeeded()
    }

    /// Commits the data lane's open stratum and waits until every commit so far is done,
    /// leaving the meta lane open (a backup's last trees and its snapshot then share a stratum).
    public func flushData() async throws(BasinError) {
        try await dataWriter.flush()
        await metaWriter.waitForCommits()
        try metaWriter.failure.check()
    }
}
