import BasinCore

/// Every stratum of a basin with its grains: what check and prune plan from. It comes from
/// the index lane (each segment records its strata and every copy of every grain), so taking
/// it reads no stratum: the data lane may be in cold storage. Only a stratum the index does
/// not cover yet (committed by another process a moment ago) has its footer and index grain
/// read, by indexing it.
public struct StratumInventory: Sendable {
    public struct Stratum: Sendable {
        public let lane: Lane
        public let id: UInt64
        /// Bytes of the stratum as stored.
        public let size: Int
        public let entries: [StratumEntry]
        /// False when the footer or index grain is damaged and the grains were found by scanning.
        public let complete: Bool

        public var name: String { StratumName.objectName(lane: lane, id: id) }
        /// Bytes of the grain frames (header, index grain and footer excluded).
        public var grainBytes: Int { entries.reduce(0) { $0 + Int($1.length) } }
    }

    public var strata: [Stratum]

    public init(strata: [Stratum]) {
        self.strata = strata
    }

    /// Total stored bytes.
    public var totalBytes: Int { strata.reduce(0) { $0 + $1.size } }

    /// Every copy of every key: the strata holding it and its entry there.
    public func copies() -> [Key: [(stratum: UInt64, entry: StratumEntry)]] {
        var copies: [Key: [(stratum: UInt64, entry: StratumEntry)]] = [:]
        for stratum in strata {
            for entry in stratum.entries { copies[entry.key, default: []].append((stratum.id, entry)) }
        }
        return copies
    }
}

extension StratumInventory.Stratum {
    /// The stratum as the index records it.
    init(_ record: IndexedStratum, entries: [StratumEntry]) {
        self.init(lane: record.lane, id: record.id, size: record.size, entries: entries, complete: !record.scanned)
    }

    /// The record an index segment keeps of it.
    var record: IndexedStratum {
        IndexedStratum(id: id, lane: lane, size: size, entries: entries, scanned: !complete)
    }
}

extension Basin {
    /// Every listed stratum with its grains, from the index (see ``StratumInventory``).
    ///
    /// Lists both lanes (a listing reads no object), then takes each stratum's grains from the
    /// index. A listed stratum the index does not cover, or records with another size, makes
    /// the index reload and reconcile (as at open), which indexes it from its footer.
    /// - Parameter excluding: strata to leave out.
    /// - Throws: the backend's errors.
    public nonisolated func inventory(excluding: Set<UInt64> = []) async throws(BasinError) -> StratumInventory {
        let listed = try await listStrata().filter { !excluding.contains($0.id) }
        var indexed = index.inventory()
        func isIndexed(_ stratum: (lane: Lane, id: UInt64, size: Int)) -> Bool {
            guard let record = indexed[stratum.id]?.record else { return false }
            return record.lane == stratum.lane && record.size == stratum.size
        }
        if !listed.allSatisfy(isIndexed) {
            try await reloadIndex()
            indexed = index.inventory()
        }
        var strata: [StratumInventory.Stratum] = []
        strata.reserveCapacity(listed.count)
        for stratum in listed {
            if isIndexed(stratum), let (record, entries) = indexed[stratum.id] {
                strata.append(.init(record, entries: entries))
            } else {
                // Still not as listed (a stratum replaced behind the index's back): its own index.
                let found = try await reader.entries(lane: stratum.lane, id: stratum.id, size: stratum.size)
                strata.append(.init(lane: stratum.lane, id: stratum.id, size: stratum.size, entries: found.entries,
                                    complete: found.complete))
            }
        }
        return StratumInventory(strata: strata)
    }
}
