import BasinCore

/// What a prune does to each stratum, decided from the keys every snapshot reaches
/// (docs/FORMAT.md, "Prune"). Planning reads nothing but the inventory (footers and index
/// grains) and the live keys (found by walking the hot meta lane).
public struct PrunePlan: Sendable {
    /// How to plan.
    public struct Settings: Sendable {
        /// A stratum whose unused grains take more than this fraction of it is repacked (0…1).
        public var maxUnused = 0.10
        /// At most this many live bytes are repacked in one run; nil for no limit.
        public var maxRepackBytes: Int64?
        /// False never repacks the data lane (a cold lane): only its wholly dead strata go.
        public var repackData = true
        /// Whether small strata are compacted (merged into full ones).
        public var compact = true
        /// A stratum smaller than this fraction of the basin's stratum target size is small.
        public var smallFraction = 0.25
        /// A lane's small strata are compacted only when it has at least this many (the one
        /// partly full stratum a compaction leaves is not rewritten at every run).
        public var minSmallStrata = 8

        public init() {}
    }

    /// A partly dead stratum whose live grains are written again before it is condemned.
    public struct Repack: Sendable {
        public let stratum: StratumInventory.Stratum
        /// The grains to copy, in stratum order.
        public let live: [StratumEntry]
        public var liveBytes: Int { live.reduce(0) { $0 + Int($1.length) } }
    }

    /// Strata no snapshot reaches into: condemned whole.
    public var condemn: [StratumInventory.Stratum] = []
    /// Partly dead strata to repack, then condemn.
    public var repack: [Repack] = []
    /// Small strata whose grains are merged into full strata, then condemned (compaction).
    public var compact: [Repack] = []
    /// Partly dead strata left alone (under the threshold, over the repack budget, or cold).
    public var keptPartly: [StratumInventory.Stratum] = []
    /// Strata already named by a condemnation record, not planned again.
    public var pending: [StratumInventory.Stratum] = []
    /// Bytes of all strata now.
    public var sizeBefore = 0
    /// Frame bytes of the grains kept (one copy of each live key).
    public var liveBytes = 0
    /// Live keys the basin holds in no stratum (a damaged basin: `check` reports them).
    public var missingKeys = 0

    /// Bytes of the strata to delete (condemned and repacked).
    public var bytesToDelete: Int {
        condemn.reduce(0) { $0 + $1.size } + (repack + compact).reduce(0) { $0 + $1.stratum.size }
    }
    /// Bytes of grains to write again (repacked and compacted).
    public var bytesToRepack: Int { (repack + compact).reduce(0) { $0 + $1.liveBytes } }
    /// Bytes of grains compaction writes again.
    public var bytesToCompact: Int { compact.reduce(0) { $0 + $1.liveBytes } }
    /// Unused bytes left in strata kept as they are.
    public var unusedKept: Int
    /// The basin's size once this plan is carried out and its condemnations are deleted
    /// (repacked grains counted at their current size; new strata add a little framing).
    public var sizeAfter: Int { sizeBefore - bytesToDelete + bytesToRepack }
    public var isEmpty: Bool { condemn.isEmpty && repack.isEmpty && compact.isEmpty }

    init() { unusedKept = 0 }

    /// Plans a prune.
    /// - Parameters:
    ///   - inventory: every stratum and its grains.
    ///   - live: every key some snapshot reaches.
    ///   - pending: strata named by condemnation records already (not planned again).
    ///   - preferred: the stratum the index points at for a key, preferred as the copy to keep.
    ///   - settings: thresholds.
    ///   - targetSize: the basin's stratum target size, which says which strata are small.
    /// - Returns: the plan; a key with several copies keeps one, so duplicate copies count as unused.
    public static func make(inventory: StratumInventory, live: Set<Key>, pending: Set<UInt64>,
                            preferred: (Key) -> UInt64?, settings: Settings, targetSize: Int) -> PrunePlan {
        var plan = PrunePlan()
        plan.sizeBefore = inventory.totalBytes
        let keepers = Self.keepers(inventory: inventory, live: live, pending: pending, preferred: preferred)
        plan.missingKeys = live.count - keepers.count
        var candidates: [Repack] = []
        var small: [Repack] = []
        for stratum in inventory.strata {
            if pending.contains(stratum.id) {
                plan.pending.append(stratum)
                continue
            }
            let kept = stratum.entries.filter { keepers[$0.key] == stratum.id }
            let keptBytes = kept.reduce(0) { $0 + Int($1.length) }
            plan.liveBytes += keptBytes
            if kept.isEmpty {
                plan.condemn.append(stratum)
                continue
            }
            // Grains no snapshot reaches (framing is not unused: a repacked stratum has it too).
            let unused = stratum.grainBytes - keptBytes
            let canRepack = stratum.lane == .meta || settings.repackData
            if Double(unused) > settings.maxUnused * Double(stratum.size), canRepack {
                candidates.append(Repack(stratum: stratum, live: kept))
            } else if settings.compact, canRepack, Double(stratum.size) < settings.smallFraction * Double(targetSize) {
                small.append(Repack(stratum: stratum, live: kept))
            } else if kept.count < stratum.entries.count {
                plan.keptPartly.append(stratum)
                plan.unusedKept += unused
            }
        }
        // The emptiest first: they free the most space per byte copied.
        candidates.sort { Double($0.liveBytes) / Double($0.stratum.size) < Double($1.liveBytes) / Double($1.stratum.size) }
        var budget = settings.maxRepackBytes ?? .max
        for candidate in candidates {
            if Int64(candidate.liveBytes) <= budget {
                plan.repack.append(candidate)
                budget -= Int64(candidate.liveBytes)
            } else {
                plan.keptPartly.append(candidate.stratum)
                plan.unusedKept += candidate.stratum.grainBytes - candidate.liveBytes
            }
        }
        // Compaction, lane by lane (a data grain never joins a meta stratum), with what is
        // left of the budget: it frees objects more than bytes.
        for lane in [Lane.data, .meta] {
            let strata = small.filter { $0.stratum.lane == lane }
            for candidate in strata {
                if strata.count >= settings.minSmallStrata, Int64(candidate.liveBytes) <= budget {
                    plan.compact.append(candidate)
                    budget -= Int64(candidate.liveBytes)
                } else if candidate.live.count < candidate.stratum.entries.count {
                    plan.keptPartly.append(candidate.stratum)
                    plan.unusedKept += candidate.stratum.grainBytes - candidate.liveBytes
                }
            }
        }
        return plan
    }

    /// For each live key the basin holds, the stratum whose copy is kept: not one already
    /// condemned if possible, then the one the index points at, then the lowest id.
    static func keepers(inventory: StratumInventory, live: Set<Key>, pending: Set<UInt64>,
                        preferred: (Key) -> UInt64?) -> [Key: UInt64] {
        var keepers: [Key: UInt64] = [:]
        for (key, copies) in inventory.copies() where live.contains(key) {
            let open = copies.filter { !pending.contains($0.stratum) }
            guard !open.isEmpty else { continue }
            if let choice = preferred(key), open.contains(where: { $0.stratum == choice }) {
                keepers[key] = choice
            } else {
                keepers[key] = open.map(\.stratum).min()
            }
        }
        return keepers
    }

    /// Which condemned strata may be deleted now (docs/FORMAT.md, "Prune"): every live key
    /// must keep a copy outside the deleted set, so a stratum holding the last copy of a key
    /// some snapshot reaches (one a backup deduplicated against after the condemnation) is
    /// rescued instead.
    /// - Parameters:
    ///   - condemned: strata named by condemnation records that are due.
    ///   - inventory: every stratum now.
    ///   - live: every key the snapshots reach now.
    /// - Returns: the strata to delete and those rescued.
    public static func deletable(condemned: Set<UInt64>, inventory: StratumInventory,
                                 live: Set<Key>) -> (delete: Set<UInt64>, rescued: Set<UInt64>) {
        let present = Set(inventory.strata.map(\.id))
        var delete = condemned.intersection(present)
        var rescued: Set<UInt64> = []
        for (key, copies) in inventory.copies() where live.contains(key) {
            guard copies.allSatisfy({ delete.contains($0.stratum) }), let keep = copies.map(\.stratum).min() else { continue }
            delete.remove(keep)
            rescued.insert(keep)
        }
        return (delete, rescued)
    }
}
