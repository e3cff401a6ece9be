import BasinBackend
import BasinCore
import BasinStore

/// Lists what a snapshot holds under a path, as `basin ls` does, reading only tree grains.
///
/// restic's semantics: with no path, every entry of the snapshot, recursively; with a path,
/// the entry at that path and, when it is a directory, its entries (all of its descendants
/// when recursive). Entries come in tree order: a directory, then its contents, depth first,
/// names sorted by bytes. Memory stays proportional to the depth, not the size of the tree.
public struct TreeLister<Source: TreeSource>: Sendable {
    public let source: Source

    public init(source: Source) {
        self.source = source
    }

    /// Lists `path` of `snapshot` into `visit`.
    /// - Parameters:
    ///   - path: Components from the root tree; `[]` lists the root's entries (not the root itself).
    ///   - recursive: Descend into every directory below `path`, not just `path` itself.
    ///   - visit: Called for each entry, in order.
    /// - Throws: `.notFound` when `path` is not in the snapshot; the store's errors otherwise.
    public func list(_ snapshot: Snapshot, path: [[UInt8]] = [], recursive: Bool,
                     visit: (SnapshotNode) throws(BasinError) -> Void) async throws(BasinError) {
        let start = try await source.node(at: path, in: snapshot)
        if !path.isEmpty { try visit(start) }
        guard start.entry.type == .directory, let key = start.entry.content else { return }
        try await walk(key, under: path, recursive: recursive, visit: visit)
    }

    private func walk(_ key: Key, under path: [[UInt8]], recursive: Bool,
                      visit: (SnapshotNode) throws(BasinError) -> Void) async throws(BasinError) {
        for entry in try await source.tree(key).entries {
            let node = SnapshotNode(path: path + [entry.name], entry: entry)
            try visit(node)
            if recursive, entry.type == .directory, let subtree = entry.content {
                try await walk(subtree, under: node.path, recursive: true, visit: visit)
            }
        }
    }
}
