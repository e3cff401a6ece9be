import BasinCore

/// How many grains are read with how few requests: the grains wanted, grouped by stratum and
/// sorted by offset, become byte ranges, neighbours closer than `gap` merged into one range of
/// at most `maxRangeBytes` (a single larger grain is a range of its own).
///
/// On a remote store every request costs a round trip (and, in a cold storage class, money),
/// so a restore wants about one request per stratum it touches; on a local disk a gap is read
/// for nothing, so the gap is small there. A range that starts within `gap` of the stratum's
/// start is extended to offset 0, so the stratum's header (its key material) comes with it and
/// costs no request of its own.
public struct GrainFetchPlan: Sendable {
    /// Tuning of the plan and of the fetch that runs it.
    public struct Options: Sendable, Hashable {
        /// Neighbouring grains further apart than this are read by separate requests.
        public var gap: Int
        /// A range grows no longer than this (memory: ranges in flight × this).
        public var maxRangeBytes: Int
        /// Ranges read at once.
        public var rangesInFlight: Int

        public init(gap: Int, maxRangeBytes: Int, rangesInFlight: Int) {
            self.gap = gap
            self.maxRangeBytes = maxRangeBytes
            self.rangesInFlight = rangesInFlight
        }

        /// For a store where each request costs a round trip (S3): large gaps, whole strata.
        public static let remote = Options(gap: 1 << 20, maxRangeBytes: 16 << 20, rangesInFlight: 2)
        /// For a local disk: small gaps and ranges (reading a gap costs a copy, a request only a
        /// system call; smaller ranges keep memory low at the same speed).
        public static let local = Options(gap: 16 << 10, maxRangeBytes: 2 << 20, rangesInFlight: 2)
    }

    /// One grain to read: where its frame is, and the key it must verify against.
    public struct Grain: Sendable, Hashable {
        public let key: Key
        public let offset: Int
        public let length: Int

        public init(key: Key, offset: Int, length: Int) {
            self.key = key
            self.offset = offset
            self.length = length
        }
    }

    /// One request: bytes `bytes` of a stratum, holding `grains` (sorted by offset).
    public struct Range: Sendable, Hashable {
        public let lane: Lane
        public let stratum: UInt64
        public let bytes: Swift.Range<Int>
        public let grains: [Grain]

        /// Whether the range starts at the stratum's header.
        public var includesHeader: Bool { bytes.lowerBound == 0 }
    }

    /// The requests, stratum by stratum (strata in ascending id, ranges in ascending offset).
    public let ranges: [Range]

    /// Plans the reads of `grains`, given as (lane, stratum, grain); the same grain twice is read once.
    public init(_ grains: [(lane: Lane, stratum: UInt64, grain: Grain)], options: Options) {
        var byStratum: [StratumRef: [Grain]] = [:]
        for item in grains { byStratum[StratumRef(lane: item.lane, id: item.stratum), default: []].append(item.grain) }
        var ranges: [Range] = []
        for stratum in byStratum.keys.sorted() {
            let sorted = Set(byStratum[stratum]!).sorted { $0.offset < $1.offset }
            var start = sorted[0].offset <= options.gap ? 0 : sorted[0].offset
            var end = sorted[0].offset + sorted[0].length
            var members = [sorted[0]]
            for grain in sorted.dropFirst() {
                let grainEnd = grain.offset + grain.length
                if grain.offset - end <= options.gap, max(end, grainEnd) - start <= options.maxRangeBytes {
                    end = max(end, grainEnd)
                    members.append(grain)
                    continue
                }
                ranges.append(Range(lane: stratum.lane, stratum: stratum.id, bytes: start..<end, grains: members))
                start = grain.offset
                end = grainEnd
                members = [grain]
            }
            ranges.append(Range(lane: stratum.lane, stratum: stratum.id, bytes: start..<end, grains: members))
        }
        self.ranges = ranges
    }

    /// Bytes all ranges read.
    public var bytes: Int { ranges.reduce(0) { $0 + $1.bytes.count } }

    private struct StratumRef: Hashable, Comparable {
        let lane: Lane
        let id: UInt64

        static func < (a: StratumRef, b: StratumRef) -> Bool {
            a.lane.rawValue != b.lane.rawValue ? a.lane.rawValue < b.lane.rawValue : a.id < b.id
        }
    }
}
