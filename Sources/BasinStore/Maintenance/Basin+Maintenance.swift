import BasinBackend
import BasinCore

extension Basin {
    /// Where the index says `key` is, without reading the grain: how prune and check learn a
    /// content key's kind (blob in the data lane, clast in the meta lane) without touching
    /// the data lane. Pending (uncommitted) grains are not included.
    /// - Returns: the index entry, or nil when the key is not indexed.
    public nonisolated func locate(_ key: Key) -> IndexEntry? {
        index.lookup(key)
    }

    /// Whether the data lane is kept apart from the basin (another location or an S3 storage
    /// class of its own): cold storage, which `check` without `--read-data` does not read.
    public nonisolated var dataLaneIsApart: Bool { config.lanes[Lane.data.folder] != nil }

    /// The basin's index, for check (which verifies its segments against the strata).
    package nonisolated var segmentedIndex: SegmentedIndex { index }

    /// Opens the index segments again and reconciles them with the strata (as at open):
    /// another process may have committed strata or rewritten the index since this basin was
    /// opened. Taking a lock does this, so a lock's holder never dedups against strata a
    /// prune deleted before the lock was taken.
    public func reloadIndex() async throws(BasinError) {
        try await index.reload()
        try await reconcileIndex()
    }

    /// The master and id keys, or nil for an unencrypted basin.
    nonisolated var masterKeys: MasterKeys? {
        guard case let .keyed(idKey) = keyFunction else { return nil }
        return MasterKeys(masterKey: keyring.masterKey, idKey: idKey)
    }
}
