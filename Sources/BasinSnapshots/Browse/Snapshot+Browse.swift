import BasinBackend
import BasinCore
import BasinStore

extension Snapshot {
    /// The root tree's key.
    /// - Throws: `.corrupted` when the record's `tree` is not a key.
    public func rootKey() throws(BasinError) -> Key {
        guard let key = record.treeKey else {
            throw BasinError(.corrupted, "snapshot \(shortID) has no valid tree key ('\(record.tree)')")
        }
        return key
    }

    /// An entry standing for the root directory (`/`), whose subtree is the root tree.
    func rootEntry() throws(BasinError) -> TreeEntry {
        TreeEntry(name: Array("/".utf8), type: .directory, mode: 0o755, content: try rootKey())
    }
}
