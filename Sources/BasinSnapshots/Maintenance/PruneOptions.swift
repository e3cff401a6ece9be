import BasinStore

/// How `basin prune` runs.
public struct PruneOptions: Sendable {
    /// Plan and print only: nothing is written or deleted.
    public var dryRun = false
    /// Thresholds for repacking.
    public var plan = PrunePlan.Settings()
    /// Condemned strata are deleted by a prune run at least this long after their
    /// condemnation (seconds; 0 deletes in the same run, under the same checks).
    public var gracePeriod: Double = 24 * 3600
    public var lockPolicy = LockPolicy()
    /// Who holds the locks (this process, unless a test simulates another).
    public var holder = LockHolder.current

    public init() {}
}

/// What a prune did, or would do.
public struct PruneReport: Sendable {
    /// What the delete phase did.
    public struct Deletion: Sendable {
        public var strata = 0
        public var bytes = 0
        /// Condemnation records carried out.
        public var records = 0
        /// Condemned strata kept because a snapshot reaches them now (a backup running at
        /// condemnation time deduplicated against them).
        public var rescued: [UInt64] = []
    }

    public var snapshots = 0
    /// Keys the snapshots reach.
    public var liveKeys = 0
    public var plan: PrunePlan
    /// What repacking wrote (nil when nothing was repacked).
    public var repack: RepackResult?
    /// The record written by this run.
    public var condemnation: Condemnation?
    /// Records whose grace period has passed (deleted unless `deferred`).
    public var due: [Condemnation] = []
    /// Records still in their grace period.
    public var waiting: [Condemnation] = []
    public var deletion: Deletion?
    /// Why the delete phase did not run (another process holds a lock).
    public var deferred: String?
    public var warnings: [String] = []
    /// Root records replaced by one checkpoint (0 when there was nothing to fold).
    public var foldedRootRecords = 0
    /// Bytes of all strata at the start and at the end.
    public var sizeBefore = 0
    public var sizeAfter = 0
}
