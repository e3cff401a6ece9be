import BasinBackend
import BasinCore

extension Basin {
    /// Reads the committed grain the index places under `key`; when that fails and the index
    /// turns out to be at fault (``mendIndex(after:generation:)``), reads it once more.
    /// - Throws: `.notFound` for a key the (verified) index lacks; `.corrupted` naming the
    ///   stratum only once the index has been checked and agrees with the stratum's own index.
    nonisolated func readIndexedGrain(_ key: Key) async throws(BasinError) -> StratumParser.OpenedGrain {
        let generation = index.generation
        do {
            return try await readIndexedGrainOnce(key)
        } catch where Self.mayBeIndexFault(error) {
            let first = error
            guard try await mendIndex(after: [key: first], generation: generation) else { throw first }
            do {
                return try await readIndexedGrainOnce(key)
            } catch {
                throw Self.failureAfterMending(first: first, retry: error)
            }
        }
    }

    private nonisolated func readIndexedGrainOnce(_ key: Key) async throws(BasinError) -> StratumParser.OpenedGrain {
        guard let entry = index.lookup(key), let kind = GrainKind(rawValue: entry.kind) else {
            throw BasinError(.notFound, "no grain with key \(key) in the basin")
        }
        return try await reader.readGrain(lane: kind.lane, id: entry.stratum, offset: Int(entry.offset),
                                          length: Int(entry.length), key: key)
    }

    /// Whether a failed read may be the index's fault: a grain it lacks or misplaces.
    nonisolated static func mayBeIndexFault(_ error: BasinError) -> Bool {
        error.code == .corrupted || error.code == .notFound
    }

    /// The error to report when a read fails again after the index was mended: a key the
    /// mended index no longer lists was in a stratum that is damaged or gone, which the first
    /// error names.
    nonisolated static func failureAfterMending(first: BasinError, retry: BasinError) -> BasinError {
        retry.code == .notFound && first.code == .corrupted ? first : retry
    }

    /// Whether `error` says the stratum the index placed a grain in is gone.
    nonisolated static func isMissingStratum(_ error: BasinError) -> Bool {
        error.code == .corrupted && (error.underlying as? BasinError)?.code == .notFound
    }

    /// Decides, after reads the index directed failed, whether the index was at fault, and
    /// mends it if so. Opening trusts the index unread (only headers are checked, so a large
    /// index opens in microseconds); a failed read is where its word is weighed against the
    /// strata before any stratum is blamed:
    ///
    /// 1. Every segment is verified whole (once per process). A damaged one is dropped, its
    ///    strata are indexed again from their own indexes and it is deleted, with one warning
    ///    naming it (``reconcileIndex()``).
    /// 2. A stratum that is missing though the index lists it: another process (prune) may have
    ///    rewritten the index and deleted the stratum since it was read. The segments are
    ///    listed again; a key they now place elsewhere (or nowhere) is read again.
    /// 3. A grain that failed its checks in a stratum whose own footer and index grain are
    ///    intact but do not place it there: the index is wrong and is rebuilt from the strata.
    ///
    /// - Parameters:
    ///   - failures: the errors of the failed reads, by key.
    ///   - generation: ``SegmentedIndex/generation`` before the keys were looked up: an index
    ///     changed since then may direct a new read elsewhere, so it needs no mending.
    /// - Returns: whether reading the keys again may succeed.
    /// - Throws: what re-indexing throws.
    func mendIndex(after failures: [Key: BasinError], generation: Int) async throws(BasinError) -> Bool {
        if index.generation != generation { return true }
        if !index.dropDamagedSegments().isEmpty {
            try await reconcileIndex()
            return true
        }
        let gone = failures.filter { Self.isMissingStratum($0.value) }.keys
        if !gone.isEmpty {
            let before = gone.map { index.lookup($0) }
            try await index.reload()
            return zip(gone, before).contains { key, entry in index.lookup(key) != entry }
        }
        let damaged = failures.filter { $0.value.code == .corrupted }
        // Confirming costs a stratum's footer and index grain: a few strata are enough to tell
        // a wrong index from damaged strata.
        var confirmed: Set<UInt64> = []
        for key in damaged.keys.sorted() {
            guard confirmed.count < 4, let entry = index.lookup(key), let kind = GrainKind(rawValue: entry.kind),
                  let record = index.strata[entry.stratum], confirmed.insert(entry.stratum).inserted else { continue }
            let own: (entries: [StratumEntry], complete: Bool)
            do {
                own = try await reader.entries(lane: kind.lane, id: entry.stratum, size: record.size)
            } catch {
                continue  // the stratum cannot be read: the error already names it
            }
            let listed = own.entries.contains { $0.key == key && $0.offset == entry.offset && $0.length == entry.length }
            if own.complete, !listed {
                let name = StratumName.objectName(lane: kind.lane, id: entry.stratum)
                warnings.append("the index placed grain \(key) at offset \(entry.offset) of stratum \(name), whose own index does not; the index was rebuilt from the strata")
                try await rebuildIndex()
                return true
            }
        }
        return false
    }

    /// Verifies every index segment before the index is taken as a whole (an inventory that
    /// prune plans from): damaged segments are dropped and their strata indexed again.
    func verifyIndex() async throws(BasinError) {
        if !index.dropDamagedSegments().isEmpty { try await reconcileIndex() }
    }
}
