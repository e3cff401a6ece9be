import BasinBackend
import BasinCore
import BasinStore

/// Where browsing (ls, diff, find) gets trees from: the snapshot repository, which reads
/// tree grains of the meta lane only; tests wrap it to count loads.
public protocol TreeSource: Sendable {
    /// The tree stored under `key`.
    /// - Throws: `.notFound` for an unknown key, `.corrupted` when the grain is no valid tree.
    func tree(_ key: Key) async throws(BasinError) -> Tree
}

extension SnapshotRepository: TreeSource {
    public func tree(_ key: Key) async throws(BasinError) -> Tree {
        try await loadTree(key)
    }
}

extension TreeSource {
    /// The node at `path` (components from the root tree) in `snapshot`; the root itself for `[]`.
    /// - Throws: `.notFound` naming the path when it is not in the snapshot.
    public func node(at path: [[UInt8]], in snapshot: Snapshot) async throws(BasinError) -> SnapshotNode {
        var entry = try snapshot.rootEntry()
        for (depth, component) in path.enumerated() {
            guard entry.type == .directory, let key = entry.content,
                  let next = try await tree(key).entry(named: component) else {
                throw BasinError(.notFound, "no \(SnapshotPath(Array(path[...depth]))) in snapshot \(snapshot.shortID)")
            }
            entry = next
        }
        return SnapshotNode(path: path, entry: entry)
    }
}
