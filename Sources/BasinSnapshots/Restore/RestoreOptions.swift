import BasinStore
import BasinSystem

/// What `RestoreEngine` restores and how.
public struct RestoreOptions: Sendable {
    /// Restore only entries matching one of these (and the directories leading to them); all
    /// entries when empty. Matched against the path in the snapshot (see `PathPattern`).
    public var includes: [PathPattern] = []
    /// Skip entries matching any of these, and everything inside them.
    public var excludes: [PathPattern] = []
    /// Re-read every restored file and check it hashes to its content key.
    public var verify = false
    /// Replace existing files in the target (never a non-empty directory); without it,
    /// restore refuses to start when any entry it would write already exists.
    public var overwrite = false
    /// Set owners (by uid/gid) as recorded; by default only when running as root.
    public var restoreOwnership = CurrentProcess.isRoot
    /// Files whose content is read together, at most (``BatchRestorer``); fewer when the
    /// open-file limit is low, since each stays open until written.
    public var filesPerBatch = 8192
    /// How content is read: gap and size of ranges, ranges at once; nil for the basin's
    /// default (``Basin/defaultFetchOptions``: local or remote).
    public var fetch: GrainFetchPlan.Options?

    public init() {}
}
