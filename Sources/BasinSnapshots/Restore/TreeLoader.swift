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
