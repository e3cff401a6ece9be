import BasinBackend
import BasinCore

extension Basin {
    // MARK: - Putting values

    /// Stores `value` and returns its key. Storing a key already held writes nothing.
    ///
    /// A value that content-defined chunking cuts into one chunk is one blob grain; a larger
    /// one is a blob per chunk plus a clast keyed by the whole value.
    /// - Throws: `.invalidArgument` for a value too large for one grain (never, once chunked),
    ///   or the error of a failed commit.
    @discardableResult
    public nonisolated func put(_ value: [UInt8]) async throws(BasinError) -> Key {
        let chunker = FastCDC(parameters: parameters)
        var chunks: [Range<Int>] = []
        var start = 0
        value.withUnsafeBytes { buffer in
            while start < buffer.count {
                let length = chunker.cut(UnsafeRawBufferPointer(rebasing: buffer[start...]))
                chunks.append(start..<(start + length))
                start += length
            }
        }
        guard chunks.count > 1 else {
            return try await putBlob(value, key: keyFunction.key(of: value))
        }
        var clast = Clast(chunks: [])
        for range in chunks {
            let piece = Array(value[range])
            let chunkKey = try await putBlob(piece, key: keyFunction.key(of: piece))
            clast.chunks.append(Clast.Chunk(key: chunkKey, length: piece.count))
        }
        return try await putClast(clast, key: keyFunction.key(of: value))
    }

    /// Stores one grain of `kind` (not a blob that may need chunking: see `put`), keyed by its content.
    @discardableResult
    public nonisolated func putGrain(_ plain: [UInt8], kind: GrainKind) async throws(BasinError) -> Key {
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

    /// Compresses outside the actor (the parallel part), then seals in order inside it.
    nonisolated func putPrepared(_ plain: [UInt8], kind: GrainKind, key: Key) async throws(BasinError) {
        if index.lookup(key) != nil { return }
        let prepared: PreparedGrain
        do {
            prepared = try PreparedGrain.prepare(kind: kind, key: key, plain: plain, compressionLevel: compressionLevel)
        } catch {
            throw BasinError(.invalidArgument, "value with key \(key) cannot be stored: \(error)", underlying: error)
        }
        try await insert(prepared)
    }

    /// Seals `grain` into its lane's open stratum, committing the stratum first when full.
    func insert(_ grain: PreparedGrain) async throws(BasinError) {
        if let failure { throw failure }
        if pending[grain.key] != nil || index.lookup(grain.key) != nil { return }
        let lane = grain.kind.lane
        if let builder = builder(lane), builder.grainCount > 0,
           builder.projectedSize(adding: grain.payload.count) > config.stratumTargetSize {
            rotate(lane)
        }
        if builder(lane) == nil { try startStratum(lane) }
        let entry: StratumEntry
        do {
            entry = try withBuilder(lane) { builder in try builder!.append(grain) }
        } catch {
            throw BasinError(.internalError, "could not seal grain \(grain.key)", underlying: error)
        }
        pending[grain.key] = PendingGrain(lane: lane, stratumID: builder(lane)!.stratumID, entry: entry)
        written.grains += 1
        written.plainBytes += Int64(grain.plainLength)
        while sealed.count > Self.maxSealedInFlight, let oldest = commits.first {
            await oldest.task.value
        }
        if let failure { throw failure }
    }

    /// Commits every open stratum (data first, then meta: a clast is never durable before its
    /// chunks) and waits until they are durable and indexed.
    /// - Throws: the error of any failed commit; the basin then refuses writes.
    public func flush() async throws(BasinError) {
        rotate(.meta)
        try await flushData()
        try await index.mergeIfNeeded()
    }

    /// Commits the data lane's open stratum and waits until every commit so far is done,
    /// leaving the meta lane open (a backup's last trees and its snapshot then share a stratum).
    public func flushData() async throws(BasinError) {
        rotate(.data)
        for commit in commits { await commit.task.value }
        if let failure { throw failure }
    }

    // MARK: - Strata

    func builder(_ lane: Lane) -> StratumBuilder? { lane == .data ? dataBuilder : metaBuilder }

    func withBuilder<R>(_ lane: Lane, _ body: (inout StratumBuilder?) throws -> R) rethrows -> R {
        lane == .data ? try body(&dataBuilder) : try body(&metaBuilder)
    }

    func startStratum(_ lane: Lane) throws(BasinError) {
        let builder = try makeBuilder(lane)
        withBuilder(lane) { $0 = builder }
    }

    /// Finishes the lane's open stratum and starts its commit (docs/FORMAT.md §4.5).
    ///
    /// Data strata hold blobs, which name no other grain: their commits run side by side and
    /// may finish in any order. A meta stratum's clasts and trees name grains of earlier
    /// strata of both lanes, so its commit waits until every commit started before it is
    /// done; rotating the data lane first puts the chunks of its clasts among those.
    func rotate(_ lane: Lane) {
        if lane == .meta, metaBuilder?.grainCount ?? 0 > 0 { rotate(.data) }
        guard let builder = withBuilder(lane, { builder in defer { builder = nil }; return builder }),
              builder.grainCount > 0 else { return }
        let id = builder.stratumID
        let entries = builder.entries
        let bytes: [UInt8]
        do {
            bytes = try builder.finish()
        } catch {
            failure = BasinError(.internalError, "could not finish stratum \(StratumName.objectName(lane: lane, id: id))", underlying: error)
            return
        }
        sealed[id] = bytes
        let earlier = lane == .meta ? commits.map(\.task) : []
        let task = Task {
            for commit in earlier { await commit.value }
            await self.commit(lane: lane, id: id, entries: entries)
        }
        commits.append(Commit(stratumID: id, task: task))
    }

    /// Writes a finished stratum durably, then indexes it, then forgets its pending grains.
    func commit(lane: Lane, id: UInt64, entries: [StratumEntry]) async {
        defer {
            sealed[id] = nil
            commits.removeAll { $0.stratumID == id }
        }
        guard failure == nil, let bytes = sealed[id] else { return }
        let name = StratumName.objectName(lane: lane, id: id)
        do {
            try await reader.backend(for: lane).write(name, bytes: bytes)
        } catch {
            failure = BasinError(error.code, "committing stratum \(name) failed; the basin refuses further writes: \(error.message)",
                                 underlying: error)
            return
        }
        do {
            try await index.addStratum(lane: lane, id: id, size: bytes.count, entries: entries)
        } catch {
            // The stratum is durable; the next open indexes it from its footer.
            failure = BasinError(error.code, "indexing stratum \(name) failed (it is stored; the next open indexes it); the basin refuses further writes: \(error.message)",
                                 underlying: error)
            return
        }
        written.strata += 1
        written.storedBytes += Int64(bytes.count)
        for entry in entries where pending[entry.key]?.stratumID == id {
            pending[entry.key] = nil
        }
    }
}
