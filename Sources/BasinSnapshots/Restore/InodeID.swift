import BasinCore

/// The (device, inode) pair that entries of one hard-link group share in a tree.
struct InodeID: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    /// The entry's inode when it is part of a hard-link group (a non-directory with more than
    /// one link), else nil.
    init?(_ entry: TreeEntry) {
        guard entry.type != .directory, entry.linkCount > 1 else { return nil }
        device = entry.device
        inode = entry.inode
    }
}
