import BasinBackend
import BasinCore
import BasinStore

/// Finds entries by name across snapshots, as `basin find` does, reading only tree grains.
///
/// What a tree holds is searched once: results are remembered by tree key, so a directory
/// unchanged between snapshots (same subtree key) costs nothing the second time, and a
/// subtree with no match is skipped whole. Memory grows with the number of distinct trees
/// searched (a key each) and the matches found.
public struct SnapshotFinder<Source: TreeSource>: Sendable {
    /// What a tree holds that matches, in tree order: entries that match, and subtrees with
    /// matches inside. Empty when nothing in the tree matches.
    enum Item: Sendable {
        case match(TreeEntry)
        case descend(name: [UInt8], key: Key)
    }

    public let source: Source
    public let patterns: [NamePattern]
    private var searched: [Key: [Item]] = [:]

    /// - Parameters:
    ///   - source: Where trees come from.
    ///   - patterns: An entry matches when its name matches any of them.
    public init(source: Source, patterns: [NamePattern]) {
        self.source = source
        self.patterns = patterns
    }

    /// How many distinct trees have been searched so far.
    public var treesSearched: Int { searched.count }

    /// The entries of `snapshot` whose name matches, in tree order (a directory before its contents).
    /// - Throws: The store's errors naming the tree concerned.
    public mutating func find(in snapshot: Snapshot) async throws(BasinError) -> [SnapshotNode] {
        let root = try snapshot.rootKey()
        try await search(root)
        var nodes: [SnapshotNode] = []
        collect(root, under: [], into: &nodes)
        return nodes
    }

    /// Searches the tree under `key` unless it was searched before.
    /// - Returns: Whether anything in it matches.
    @discardableResult
    private mutating func search(_ key: Key) async throws(BasinError) -> Bool {
        if let known = searched[key] { return !known.isEmpty }
        var items: [Item] = []
        for entry in try await source.tree(key).entries {
            if patterns.contains(where: { $0.matches(entry.name) }) { items.append(.match(entry)) }
            if entry.type == .directory, let subtree = entry.content, try await search(subtree) {
                items.append(.descend(name: entry.name, key: subtree))
            }
        }
        searched[key] = items
        return !items.isEmpty
    }

    /// Appends the matches below an already-searched tree.
    private func collect(_ key: Key, under path: [[UInt8]], into nodes: inout [SnapshotNode]) {
        for item in searched[key] ?? [] {
            switch item {
            case .match(let entry): nodes.append(SnapshotNode(path: path + [entry.name], entry: entry))
            case .descend(let name, let subtree): collect(subtree, under: path + [name], into: &nodes)
            }
        }
    }
}
