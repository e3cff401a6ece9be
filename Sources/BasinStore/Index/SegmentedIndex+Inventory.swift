import BasinBackend
import BasinCore

extension SegmentedIndex {
    /// Indexes one stratum just written: a new segment with its record and every grain.
    /// - Parameters:
    ///   - lane: The stratum's lane.
    ///   - id: Its id.
    ///   - size: Its bytes as stored.
    ///   - entries: Its grains (from its index grain, or found by scanning).
    ///   - scanned: Whether the grains were found by scanning.
    /// - Throws: ``BasinError`` as ``addSegment(entries:strata:)``.
    public func addStratum(lane: Lane, id: UInt64, size: Int, entries: [StratumEntry], scanned: Bool = false) async throws(BasinError) {
        try await addSegment(entries: entries.map { IndexEntry(stratum: id, $0) },
                             strata: [IndexedStratum(id: id, lane: lane, size: size, entries: entries, scanned: scanned)])
    }

    /// Every covered stratum's record with all its grains, read from the segments alone: one
    /// pass over every entry, no stratum read.
    ///
    /// A stratum two segments cover (a merge interrupted after writing its output) takes its
    /// grains from the newest of them only, so none is counted twice. An entry whose kind is
    /// no grain kind is left out (its stratum's grain count then disagrees, which check reports).
    /// - Returns: the strata by id; each grain list is in frame order, frame flags read as 0.
    public func inventory() -> [UInt64: (record: IndexedStratum, entries: [StratumEntry])] {
        let segments = state.withLock { $0.segments }
        var owner: [UInt64: Int] = [:]
        for (position, segment) in segments.enumerated() {
            for record in segment.strata { owner[record.id] = position }
        }
        var strata: [UInt64: (record: IndexedStratum, entries: [StratumEntry])] = [:]
        for (position, segment) in segments.enumerated() {
            for record in segment.strata where owner[record.id] == position {
                strata[record.id] = (record, [])
                strata[record.id]?.entries.reserveCapacity(record.grainCount)
            }
            for entry in segment.entries where owner[entry.stratum] == position {
                if let grain = StratumEntry(entry) { strata[entry.stratum]?.entries.append(grain) }
            }
        }
        for id in strata.keys { strata[id]?.entries.sort { $0.offset < $1.offset } }
        return strata
    }
}

extension IndexEntry {
    /// The entry for a grain of stratum `stratum`, from the stratum's own index.
    public init(stratum: UInt64, _ entry: StratumEntry) {
        self.init(key: entry.key, stratum: stratum, offset: entry.offset, length: entry.length, kind: entry.kind.rawValue,
                  plainLength: entry.plainLength)
    }
}

extension StratumEntry {
    /// The grain an index entry names. The index keeps no frame flags: they read as 0 here
    /// (whoever reads the grain gets them from its frame).
    public init?(_ entry: IndexEntry) {
        guard let kind = GrainKind(rawValue: entry.kind) else { return nil }
        self.init(key: entry.key, kind: kind, flags: 0, offset: entry.offset, length: entry.length, plainLength: entry.plainLength)
    }
}
