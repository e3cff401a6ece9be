import BasinBackend
import BasinCore

/// Seals the grains of one lane into strata and commits them (docs/FORMAT.md §4.5): it owns
/// the lane's open stratum, the finished strata being written, the order of their commits and
/// the failure that stops them. `put` writes through a basin's two writers; repacking and
/// compaction through writers of their own, by the same commit path.
///
/// A grain is readable from its writer (``pendingFrame(_:)``) from the moment it is sealed
/// until its stratum is indexed, then from the index: a key is never out of sight.
actor StratumWriter {
    /// Where a grain sealed here and not yet indexed lies.
    struct Pending {
        let stratumID: UInt64
        let entry: StratumEntry
    }

    /// A finished stratum, held until it is durable and indexed.
    struct Finished: Sendable {
        let header: StratumHeader
        let bytes: [UInt8]
        let entries: [StratumEntry]
        var name: String { StratumName.objectName(lane: header.lane, id: header.stratumID) }
    }

    /// The commit of one stratum: its write, then its index segment.
    struct Commit {
        let stratumID: UInt64
        let task: Task<Void, Never>
    }

    /// At most this many finished strata wait for their write: back-pressure on `insert`.
    /// Data strata are written side by side, so this is also how many uploads overlap (a
    /// remote store's latency hides behind the others, and sealing goes on meanwhile).
    static let maxSealedInFlight = 3

    nonisolated let lane: Lane
    nonisolated let backend: any Backend
    nonisolated let keyring: Keyring
    nonisolated let index: SegmentedIndex
    nonisolated let targetSize: Int
    /// The writer whose strata must be durable before any of this one's: the meta lane's
    /// clasts and trees name grains of the data lane (and of earlier meta strata).
    nonisolated let predecessor: StratumWriter?
    nonisolated let failure: WriteFailure
    /// True to skip a grain whose key is indexed already (put); false to write it again (repack).
    nonisolated let deduplicates: Bool

    private var builder: StratumBuilder?
    private var pending: [Key: Pending] = [:]
    /// Finished strata being written, by id.
    private var sealed: [UInt64: Finished] = [:]
    /// Commits under way, in the order they were started; each removes itself when done.
    private var commits: [Commit] = []
    /// What this writer has added.
    private(set) var written = Basin.WriteStatistics()

    init(lane: Lane, backend: any Backend, keyring: Keyring, index: SegmentedIndex, targetSize: Int,
         predecessor: StratumWriter?, failure: WriteFailure, deduplicates: Bool) {
        self.lane = lane
        self.backend = backend
        self.keyring = keyring
        self.index = index
        self.targetSize = targetSize
        self.predecessor = predecessor
        self.failure = failure
        self.deduplicates = deduplicates
    }

    // MARK: - Sealing

    /// Seals `grain` into the open stratum, finishing that stratum first when the grain would
    /// take it past the target size; then waits while too many finished strata are being written.
    /// - Throws: `.internalError` when the grain cannot be sealed; the failure of an earlier commit.
    func insert(_ grain: PreparedGrain) async throws(BasinError) {
        try failure.check()
        if pending[grain.key] != nil || (deduplicates && index.lookup(grain.key) != nil) { return }
        if let builder, builder.grainCount > 0, builder.projectedSize(adding: grain.payload.count) > targetSize {
            rotate()
        }
        if builder == nil { builder = try makeBuilder() }
        let entry: StratumEntry
        do {
            entry = try builder!.append(grain)
        } catch {
            throw BasinError(.internalError, "could not seal grain \(grain.key)", underlying: error)
        }
        pending[grain.key] = Pending(stratumID: builder!.stratumID, entry: entry)
        written.grains += 1
        written.plainBytes += Int64(grain.plainLength)
        while sealed.count > Self.maxSealedInFlight, let oldest = commits.first {
            await oldest.task.value
        }
        try failure.check()
    }

    /// A new, empty stratum with a fresh id and salt.
    private func makeBuilder() throws(BasinError) -> StratumBuilder {
        let header = keyring.newStratumHeader(lane: lane)
        return StratumBuilder(header: header, cipher: try keyring.cipher(for: header),
                              capacity: min(targetSize + (1 << 20), 64 << 20))
    }

    // MARK: - Committing

    /// Finishes the open stratum and starts its commit.
    ///
    /// Without a predecessor (the data lane: blobs name no other grain) commits run side by
    /// side and may finish in any order. With one, a commit first has the predecessor commit
    /// everything it holds, then waits for every commit started here before it: a clast is
    /// never durable before its chunks, nor a tree before the trees it names.
    func rotate() {
        guard let open = builder else { return }
        builder = nil
        guard open.grainCount > 0 else { return }
        let header = open.header
        let entries = open.entries
        let bytes: [UInt8]
        do {
            bytes = try open.finish()
        } catch {
            failure.record(BasinError(.internalError, "could not finish stratum \(StratumName.objectName(lane: lane, id: header.stratumID))",
                                      underlying: error))
            return
        }
        let finished = Finished(header: header, bytes: bytes, entries: entries)
        sealed[header.stratumID] = finished
        let predecessor = predecessor
        let earlier = predecessor == nil ? [] : commits.map(\.task)
        let task = Task {
            if let predecessor { await predecessor.commitAll() }
            for commit in earlier { await commit.value }
            await self.commit(finished)
        }
        commits.append(Commit(stratumID: header.stratumID, task: task))
    }

    /// Writes a finished stratum durably, then indexes it, then forgets its pending grains.
    /// A failure is recorded: from then on the writers refuse writes.
    private func commit(_ finished: Finished) async {
        let id = finished.header.stratumID
        defer {
            sealed[id] = nil
            commits.removeAll { $0.stratumID == id }
        }
        guard failure.error == nil else { return }
        do {
            try await Self.store(finished, backend: backend, index: index)
        } catch {
            failure.record(error)
            return
        }
        written.strata += 1
        written.storedBytes += Int64(finished.bytes.count)
        for entry in finished.entries where pending[entry.key]?.stratumID == id {
            pending[entry.key] = nil
        }
    }

    /// The one way a stratum enters a basin: written durably under its name, then indexed
    /// (its segment is the newest, so lookups find its copies first).
    /// - Throws: the backend's error; the index's error, the stratum then being durable (the
    ///   next open indexes it from its footer).
    static func store(_ finished: Finished, backend: any Backend, index: SegmentedIndex) async throws(BasinError) {
        let name = finished.name
        do {
            try await backend.write(name, bytes: finished.bytes)
        } catch {
            throw BasinError(error.code, "committing stratum \(name) failed; no more is written: \(error.message)", underlying: error)
        }
        do {
            try await index.addStratum(lane: finished.header.lane, id: finished.header.stratumID, size: finished.bytes.count,
                                       entries: finished.entries)
        } catch {
            throw BasinError(error.code, "indexing stratum \(name) failed (it is stored; the next open indexes it); no more is written: \(error.message)",
                             underlying: error)
        }
    }

    /// Commits the open stratum and waits until every commit started so far is done.
    func commitAll() async {
        rotate()
        await waitForCommits()
    }

    /// Waits until every commit started so far is done.
    func waitForCommits() async {
        for commit in commits { await commit.task.value }
    }

    /// Commits the open stratum and waits until it and every earlier one are durable and indexed.
    /// - Throws: the failure of any commit.
    func flush() async throws(BasinError) {
        await commitAll()
        try failure.check()
    }

    // MARK: - Reading what is not indexed yet

    /// Whether `key` is sealed here and not indexed yet.
    func holds(_ key: Key) -> Bool { pending[key] != nil }

    /// Which of `keys` are sealed here and not indexed yet.
    func pendingKeys(among keys: Set<Key>) -> Set<Key> {
        pending.isEmpty ? [] : keys.filter { pending[$0] != nil }
    }

    /// The frame of a grain sealed here and not indexed yet, with the header of its stratum.
    func pendingFrame(_ key: Key) -> (header: StratumHeader, frame: [UInt8], offset: Int)? {
        guard let grain = pending[key] else { return nil }
        let header: StratumHeader
        let bytes: [UInt8]
        if let builder, builder.stratumID == grain.stratumID {
            header = builder.header
            bytes = builder.bytes
        } else if let finished = sealed[grain.stratumID] {
            header = finished.header
            bytes = finished.bytes
        } else {
            return nil
        }
        let offset = Int(grain.entry.offset)
        return (header, Array(bytes[offset..<(offset + Int(grain.entry.length))]), offset)
    }
}
