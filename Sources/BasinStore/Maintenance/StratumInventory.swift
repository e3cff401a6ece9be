import BasinBackend
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
    /// Verifies the index segments (a damaged one is replaced), lists both lanes (a listing
    /// reads no object), then takes each stratum's grains from the index. A stratum still not
    /// as the index records it (replaced behind its back) is read from its own index grain.
    /// - Parameter excluding: strata to leave out.
    /// - Throws: the backend's errors.
    public nonisolated func inventory(excluding: Set<UInt64> = []) async throws(BasinError) -> StratumInventory {
        try await verifyIndex()
        let listed = try await listStrata().filter { !excluding.contains($0.id) }
        let indexed = try await indexedStrata(covering: listed)
        var strata: [StratumInventory.Stratum] = []
        strata.reserveCapacity(listed.count)
        for stratum in listed {
            if let (record, entries) = indexed[stratum.id], Self.matches(record, stratum) {
                strata.append(.init(record, entries: entries))
            } else {
                let found = try await reader.entries(lane: stratum.lane, id: stratum.id, size: stratum.size)
                strata.append(.init(lane: stratum.lane, id: stratum.id, size: stratum.size, entries: found.entries,
                                    complete: found.complete))
            }
        }
        return StratumInventory(strata: strata)
    }

    /// The index's record and grains of every stratum it covers, brought up to date first
    /// when a listed stratum is missing from it or recorded otherwise (another process
    /// committed it since this basin was opened): the index is reloaded and reconciled, as at
    /// open, which indexes such a stratum from its footer.
    /// - Parameter listed: the strata as listed.
    /// - Throws: the backend's errors.
    nonisolated func indexedStrata(covering listed: [(lane: Lane, id: UInt64, size: Int)]) async throws(BasinError)
        -> [UInt64: (record: IndexedStratum, entries: [StratumEntry])] {
        let indexed = index.inventory()
        let current = listed.allSatisfy { stratum in indexed[stratum.id].map { Self.matches($0.record, stratum) } ?? false }
        if current { return indexed }
        try await reloadIndex()
        return index.inventory()
    }

    static func matches(_ record: IndexedStratum, _ stratum: (lane: Lane, id: UInt64, size: Int)) -> Bool {
        record.lane == stratum.lane && record.size == stratum.size
    }
}
