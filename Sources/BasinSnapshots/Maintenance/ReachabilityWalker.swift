import BasinBackend
import BasinCore
import BasinStore

/// Walks every tree and clast reachable from a set of snapshots, each once, collecting every
/// key they reach (snapshot grains, trees, contents, chunks) and the problems met on the way.
/// It reads the meta lane only: a content key's kind is learned from the index, so data
/// grains are never read. Prune marks with it; check verifies with it. Stored values and
/// named keys (the roots) are reached as file contents are.
public struct ReachabilityWalker: Sendable {
    /// What a walk found.
    public struct Result: Sendable {
        /// Every key reached, present or not.
        public var keys: Set<Key> = []
        public var problems: [CheckProblem] = []
        public var trees = 0
        public var clasts = 0
        /// False when a tree or clast could not be read: keys below it are unknown, so a
        /// prune must not act on this result.
        public var isComplete = true
        /// The first read that failed because the backend did (a server error, a full or
        /// failing disk) rather than because a grain is missing or damaged: the walk may
        /// succeed once the backend does.
        public var backendFailure: BasinError?
    }

    public let repository: SnapshotRepository
    /// Plaintext lengths of grains (from the strata's index grains), to check file sizes and
    /// chunk lengths against; nil skips those checks.
    public var plainLengths: [Key: UInt32]?
    /// Trees and clasts read at once.
    public var concurrency = 8

    public init(repository: SnapshotRepository, plainLengths: [Key: UInt32]? = nil) {
        self.repository = repository
        self.plainLengths = plainLengths
    }

    /// A tree or clast to read, and where it was met first.
    struct Item: Sendable {
        enum Target: Sendable {
            case tree
            /// A value stored as a clast, with the size its file says (nil for a root).
            case clast(size: UInt64?)
        }

        let key: Key
        let target: Target
        let snapshot: String
        let path: [[UInt8]]
    }

    enum Outcome: Sendable {
        case tree(Item, Swift.Result<Tree, BasinError>)
        case clast(Item, Swift.Result<Clast, BasinError>)
    }

    /// Walks the trees of `snapshots` and the values `roots` keeps. Trees shared between
    /// snapshots (or directories) are read once; a problem names the first snapshot and path
    /// (or the root) that reached it.
    /// - Returns: the keys reached and the problems found.
    public func walk(_ snapshots: [Snapshot], roots: RootState = RootState()) async -> Result {
        var state = WalkState(walker: self)
        for key in roots.keys.sorted() {
            state.reachContent(key, size: nil, place: ("stored value \(key)", []))
        }
        for (name, key) in roots.names.sorted(by: { $0.key < $1.key }) {
            state.reachContent(key, size: nil, place: ("name '\(name)'", []))
        }
        for snapshot in snapshots {
            state.result.keys.insert(snapshot.id)
            let label = "snapshot \(snapshot.shortID)"
            guard let root = snapshot.record.treeKey else {
                state.fail(CheckProblem(.snapshot, object: label, "its tree key '\(snapshot.record.tree)' is not a key"))
                continue
            }
            state.reachTree(root, snapshot: label, path: [])
        }
        let repository = repository
        await withTaskGroup(of: Outcome.self) { group in
            var running = 0
            while true {
                while running < max(1, concurrency), let item = state.queue.popLast() {
                    group.addTask { await Self.load(item, from: repository) }
                    running += 1
                }
                guard let outcome = await group.next() else { break }
                running -= 1
                state.handle(outcome)
            }
        }
        return state.result
    }

    static func load(_ item: Item, from repository: SnapshotRepository) async -> Outcome {
        switch item.target {
        case .tree:
            do {
                return .tree(item, .success(try await repository.loadTree(item.key)))
            } catch {
                return .tree(item, .failure(error))
            }
        case .clast:
            do throws(BasinError) {
                let grain: (kind: GrainKind, plain: [UInt8])
                do {
                    grain = try await repository.basin.grain(item.key)
                } catch {
                    throw error.reached(as: "clast")
                }
                guard grain.kind == .clast else { throw BasinError(.corrupted, "grain \(item.key) is a \(grain.kind), not a clast") }
                do {
                    return .clast(item, .success(try Clast.decode(grain.plain)))
                } catch {
                    throw BasinError(.corrupted, "clast \(item.key) does not decode: \(error)", underlying: error)
                }
            } catch {
                return .clast(item, .failure(error))
            }
        }
    }
}

/// The walk's bookkeeping, owned by the task that drives it.
private struct WalkState {
    let walker: ReachabilityWalker
    var result = ReachabilityWalker.Result()
    var queue: [ReachabilityWalker.Item] = []
    var queuedTrees: Set<Key> = []
    var seenContents: Set<Key> = []

    init(walker: ReachabilityWalker) {
        self.walker = walker
    }

    var basin: Basin { walker.repository.basin }

    mutating func problem(_ kind: CheckProblem.Kind, _ item: (snapshot: String, path: [[UInt8]]), _ message: String) {
        result.problems.append(CheckProblem(kind, object: item.snapshot, path: SnapshotPath(item.path).description, message))
    }

    mutating func noteBackendFailure(_ error: BasinError) {
        guard result.backendFailure == nil, ![.corrupted, .notFound].contains(error.code) else { return }
        result.backendFailure = error
    }

    /// A problem that leaves keys unknown.
    mutating func fail(_ problem: CheckProblem) {
        result.problems.append(problem)
        result.isComplete = false
    }

    mutating func reachTree(_ key: Key, snapshot: String, path: [[UInt8]]) {
        result.keys.insert(key)
        guard queuedTrees.insert(key).inserted else { return }
        guard let entry = basin.locate(key) else {
            fail(CheckProblem(.missing, object: snapshot, path: SnapshotPath(path).description, "tree \(key) is missing"))
            return
        }
        guard entry.kind == GrainKind.tree.rawValue else {
            fail(CheckProblem(.tree, object: snapshot, path: SnapshotPath(path).description, "key \(key) names a grain of kind \(entry.kind), not a tree"))
            return
        }
        queue.append(.init(key: key, target: .tree, snapshot: snapshot, path: path))
    }

    mutating func handle(_ outcome: ReachabilityWalker.Outcome) {
        switch outcome {
        case let .tree(item, .failure(error)):
            noteBackendFailure(error)
            fail(CheckProblem(.tree, object: item.snapshot, path: SnapshotPath(item.path).description, "tree \(item.key) cannot be read: \(error.message)"))
        case let .tree(item, .success(tree)):
            result.trees += 1
            for entry in tree.entries { visit(entry, in: item) }
        case let .clast(item, .failure(error)):
            noteBackendFailure(error)
            fail(CheckProblem(.clast, object: item.snapshot, path: SnapshotPath(item.path).description, "content \(item.key) cannot be read: \(error.message)"))
        case let .clast(item, .success(clast)):
            result.clasts += 1
            checkClast(clast, item: item)
        }
    }

    mutating func visit(_ entry: TreeEntry, in parent: ReachabilityWalker.Item) {
        let path = parent.path + [entry.name]
        let place = (parent.snapshot, path)
        switch entry.type {
        case .directory:
            guard let key = entry.content else {
                problem(.tree, place, "the directory has no subtree key")
                return
            }
            reachTree(key, snapshot: parent.snapshot, path: path)
        case .file:
            guard let key = entry.content else {
                if entry.size > 0 { problem(.tree, place, "a file of \(entry.size) bytes has no content key") }
                return
            }
            reachContent(key, size: entry.size, place: place)
        default:
            return
        }
    }

    /// Reaches a value: a file's content (with the file's size) or a root (size nil).
    mutating func reachContent(_ key: Key, size: UInt64?, place: (snapshot: String, path: [[UInt8]])) {
        result.keys.insert(key)
        guard seenContents.insert(key).inserted else { return }
        guard let located = basin.locate(key) else {
            problem(.missing, place, "content \(key) is missing")
            return
        }
        switch GrainKind(rawValue: located.kind) {
        case .blob:
            if let size, let length = walker.plainLengths?[key], UInt64(length) != size {
                problem(.tree, place, "content \(key) holds \(length) bytes, the file \(size)")
            }
        case .clast:
            queue.append(.init(key: key, target: .clast(size: size), snapshot: place.snapshot, path: place.path))
        default:
            problem(.tree, place, "content \(key) names a grain of kind \(located.kind), not a blob or clast")
        }
    }

    mutating func checkClast(_ clast: Clast, item: ReachabilityWalker.Item) {
        let place = (item.snapshot, item.path)
        if case let .clast(size?) = item.target, UInt64(clast.totalLength) != size {
            problem(.clast, place, "content \(item.key) lists chunks of \(clast.totalLength) bytes, the file has \(size)")
        }
        for chunk in clast.chunks {
            result.keys.insert(chunk.key)
            guard let located = basin.locate(chunk.key) else {
                problem(.missing, place, "chunk \(chunk.key) of content \(item.key) is missing")
                continue
            }
            if located.kind != GrainKind.blob.rawValue {
                problem(.clast, place, "chunk \(chunk.key) of content \(item.key) is a grain of kind \(located.kind), not a blob")
            } else if let length = walker.plainLengths?[chunk.key], Int(length) != chunk.length {
                problem(.clast, place, "chunk \(chunk.key) of content \(item.key) holds \(length) bytes, the clast says \(chunk.length)")
            }
        }
    }
}
