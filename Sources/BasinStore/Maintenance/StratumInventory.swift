import BasinCore

/// Every stratum of a basin with the grains its footer and index grain list: what check and
/// prune plan from. Reading it costs two small ranged reads per stratum (footer, index
/// grain) plus its header once, and no grain payload (a stratum whose footer is damaged is
/// scanned whole instead, and marked incomplete).
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

extension Basin {
    /// Reads every stratum's footer and index grain (scanning strata whose footer is damaged).
    /// - Parameter excluding: strata to leave out.
    /// - Throws: the backend's errors; `.corrupted` for a stratum whose header is unreadable.
    public nonisolated func inventory(excluding: Set<UInt64> = []) async throws(BasinError) -> StratumInventory {
        let listed = try await listStrata().filter { !excluding.contains($0.id) }
        var strata: [StratumInventory.Stratum] = []
        strata.reserveCapacity(listed.count)
        for stratum in listed {
            let found = try await reader.entries(lane: stratum.lane, id: stratum.id, size: stratum.size)
            strata.append(.init(lane: stratum.lane, id: stratum.id, size: stratum.size, entries: found.entries,
                                complete: found.complete))
        }
        return StratumInventory(strata: strata)
    }
}
