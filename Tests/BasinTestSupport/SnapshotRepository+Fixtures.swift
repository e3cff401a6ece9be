import BasinBackend
import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

extension SnapshotRepository {
    /// A file, directory or symlink to store as part of a test snapshot.
    package struct FixtureNode: Sendable {
        package var entry: TreeEntry
        /// A file's content.
        package var content: [UInt8]
        /// A directory's entries.
        package var children: [FixtureNode]

        package static func file(_ name: String, _ content: [UInt8], mode: UInt32 = 0o644, mtime: Int64 = 1_700_000_000) -> FixtureNode {
            FixtureNode(entry: TreeEntry(name: Array(name.utf8), type: .file, mode: mode, uid: 1000, gid: 1000,
                                         userName: "user", groupName: "users",
                                         modificationTime: .init(seconds: mtime, nanoseconds: 0), size: UInt64(content.count)),
                        content: content, children: [])
        }

        package static func directory(_ name: String, _ children: [FixtureNode], mode: UInt32 = 0o755,
                                      mtime: Int64 = 1_700_000_000) -> FixtureNode {
            FixtureNode(entry: TreeEntry(name: Array(name.utf8), type: .directory, mode: mode, uid: 1000, gid: 1000,
                                         userName: "user", groupName: "users",
                                         modificationTime: .init(seconds: mtime, nanoseconds: 0)),
                        content: [], children: children)
        }

        package static func symlink(_ name: String, target: String) -> FixtureNode {
            FixtureNode(entry: TreeEntry(name: Array(name.utf8), type: .symlink, mode: 0o777, linkTarget: Array(target.utf8)),
                        content: [], children: [])
        }

        /// The same node with its entry changed by `change` (a raw-byte name, other metadata).
        package func with(_ change: (inout TreeEntry) -> Void) -> FixtureNode {
            var copy = self
            change(&copy.entry)
            return copy
        }
    }

    /// Stores `nodes` as a tree, bottom-up: contents, then subtrees, then the tree itself.
    /// - Returns: The tree's key.
    package func storeFixture(_ nodes: [FixtureNode]) async throws(BasinError) -> Key {
        var entries: [TreeEntry] = []
        for node in nodes {
            var entry = node.entry
            switch entry.type {
            case .directory: entry.content = try await storeFixture(node.children)
            case .file: entry.content = node.content.isEmpty ? nil : try await basin.writeValue(node.content)
            default: break
            }
            entries.append(entry)
        }
        return try await saveTree(Tree(entries: entries))
    }

    /// Stores `nodes` as a snapshot's root tree and saves the snapshot.
    package func saveFixtureSnapshot(_ nodes: [FixtureNode], time: Date, hostname: String = "host",
                                     paths: [String] = ["/home"], tags: [String] = []) async throws(BasinError) -> Snapshot {
        let root = try await storeFixture(nodes)
        var summary = SnapshotRecord.Summary()
        summary.totalBytes = 1234
        return try await save(SnapshotRecord(time: time, hostname: hostname, username: "user", paths: paths, tags: tags,
                                             parent: nil, tree: root, excludes: [], summary: summary,
                                             programVersion: "basin test"))
    }
}
