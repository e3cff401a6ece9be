import BasinBackend
import BasinCore
import BasinStore

/// Loads trees for one walk (or two walks over the same snapshot), keeping decoded trees up
/// to a budget of entries so a second walk, and identical subtrees, cost no second read.
final class TreeLoader {
    let repository: SnapshotRepository
    private var cache: [Key: Tree] = [:]
    private var cachedEntries = 0
    private let entryBudget: Int

    /// - Parameter entryBudget: how many entries (≈ 200 bytes each) the cache may hold.
    init(repository: SnapshotRepository, entryBudget: Int = 200_000) {
        self.repository = repository
        self.entryBudget = entryBudget
    }

    /// Reads the trees below `root` level by level into the cache, up to the budget: each
    /// level's trees are fetched together (``Basin/fetch(_:options:deliver:)``), a few requests
    /// per level instead of one per directory. A tree that cannot be read is left out; the
    /// walk that needs it reads it again and reports the error.
    func preload(_ root: TreeEntry) async {
        var level = [root]
        while !level.isEmpty, cachedEntries < entryBudget {
            let keys = Set(level.compactMap(\.content)).filter { cache[$0] == nil }
            let found = await repository.basin.fetchAll(Array(keys)).compactMapValues { result -> Tree? in
                guard case let .success(grain) = result, grain.kind == .tree else { return nil }
                return try? Tree.decode(grain.plain)
            }
            var next: [TreeEntry] = []
            for (key, tree) in found where cachedEntries + tree.entries.count <= entryBudget {
                cache[key] = tree
                cachedEntries += tree.entries.count
                next += tree.entries.filter { $0.type == .directory && $0.content != nil }
            }
            level = next
        }
    }

    /// The entries of a directory; an empty list when it has no subtree key.
    func entries(of directory: TreeEntry) async throws(BasinError) -> [TreeEntry] {
        guard let key = directory.content else { return [] }
        if let tree = cache[key] { return tree.entries }
        let tree = try await repository.loadTree(key)
        if cachedEntries + tree.entries.count <= entryBudget {
            cache[key] = tree
            cachedEntries += tree.entries.count
        }
        return tree.entries
    }
}
