import BasinBackend
import BasinCore

/// What a basin holds, per lane and for its index (`basin stats`).
public struct BasinStatistics: Codable, Sendable {
    public struct LaneStatistics: Codable, Sendable {
        public var strata = 0
        public var grains = 0
        /// Bytes of the strata as stored.
        public var storedBytes = 0
        /// Bytes of the grains' plaintext (before compression and encryption).
        public var rawBytes = 0
        /// Strata whose footer or index grain is damaged (indexed by scanning).
        public var damagedStrata = 0

        public init() {}
    }

    public struct IndexStatistics: Codable, Sendable {
        public var segments = 0
        public var entries = 0
        public var bytes = 0
        /// Segment bytes per indexed grain: what the memory-mapped index costs.
        public var bytesPerGrain: Double = 0

        public init() {}
    }

    public var lanes: [String: LaneStatistics] = [:]
    public var index = IndexStatistics()

    public init() {}
}

extension Basin {
    /// Sums up the index's records of the strata: reads no stratum, so a cold data lane is
    /// never touched (the basin was reconciled with the strata when it was opened).
    public func statistics() async throws(BasinError) -> BasinStatistics {
        var statistics = BasinStatistics()
        for record in index.strata.values {
            var lane = statistics.lanes[record.lane.folder] ?? .init()
            lane.strata += 1
            lane.grains += record.grainCount
            lane.storedBytes += record.size
            lane.rawBytes += record.plainBytes
            if record.scanned { lane.damagedStrata += 1 }
            statistics.lanes[record.lane.folder] = lane
        }
        let indexStatistics = index.statistics
        statistics.index.segments = indexStatistics.segments
        statistics.index.entries = indexStatistics.entries
        statistics.index.bytes = indexStatistics.bytesMapped
        if indexStatistics.entries > 0 {
            statistics.index.bytesPerGrain = Double(indexStatistics.bytesMapped) / Double(indexStatistics.entries)
        }
        return statistics
    }
}
