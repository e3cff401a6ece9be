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

    /// Reads the trees below `root` level by level into the cache, up to the budget (see
    /// ``readTrees(from:repository:entryBudget:)``).
    func preload(_ root: TreeEntry) async {
        guard let key = root.content, cache[key] == nil else { return }
        let found = await Self.readTrees(from: [key], repository: repository, entryBudget: entryBudget - cachedEntries)
        for (key, tree) in found {
            cache[key] = tree
            cachedEntries += tree.entries.count
        }
    }

    /// The trees `roots` name and those below them, read level by level: each level's trees
    /// are fetched together (``Basin/fetch(_:options:deliver:)``), a few requests per level
    /// instead of one per directory, until they hold `entryBudget` entries. A tree that cannot
    /// be read is left out; the walk that needs it reads it again and reports the error.
    static func readTrees(from roots: [Key], repository: SnapshotRepository, entryBudget: Int) async -> [Key: Tree] {
        var trees: [Key: Tree] = [:]
        var entries = 0
        var level = Set(roots)
        while !level.isEmpty, entries < entryBudget {
            let found = await repository.basin.fetchAll(Array(level)).compactMapValues { result -> Tree? in
                guard case let .success(grain) = result, grain.kind == .tree else { return nil }
                return try? Tree.decode(grain.plain)
            }
            var next = Set<Key>()
            for (key, tree) in found.sorted(by: { $0.key < $1.key }) where entries + tree.entries.count <= entryBudget {
                trees[key] = tree
                entries += tree.entries.count
                for entry in tree.entries where entry.type == .directory {
                    if let child = entry.content, trees[child] == nil { next.insert(child) }
                }
            }
            level = next
        }
        return trees
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
