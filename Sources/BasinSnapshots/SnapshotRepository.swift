import BasinCore
import BasinStore

/// A snapshot and its id (the key of its snapshot grain).
public struct Snapshot: Sendable, Equatable {
    public let id: Key
    public let record: SnapshotRecord

    public init(id: Key, record: SnapshotRecord) {
        self.id = id
        self.record = record
    }

    /// The first 8 hex digits, as listings show it.
    public var shortID: String { String(id.hex.prefix(8)) }
}

/// Snapshots and trees in a basin. Listing reads only the small sealed refs under
/// `snapshots/` (never the data lane); trees are grains of the meta lane.
public struct SnapshotRepository: Sendable {
    public static let folder = "snapshots/"
    public let basin: Basin
    /// The lock a backup holds: `save` writes a snapshot ref only while it is still held, so a
    /// backup whose lock was lost (and whose grains a prune may have deleted) publishes nothing.
    public var lock: BasinLock?

    public init(basin: Basin) {
        self.basin = basin
    }

    /// Every snapshot, oldest first.
    public func list() async throws(BasinError) -> [Snapshot] {
        let names = try await basin.listObjects(prefix: Self.folder).map(\.name)
        let basin = basin
        let loaded: [Snapshot]
        do {
            loaded = try await withThrowingTaskGroup(of: Snapshot?.self) { group in
                var results: [Snapshot] = []
                var pending = names[...]
                // At most 16 reads in flight: an S3 basin may hold thousands of snapshots.
                for _ in 0..<16 {
                    guard let name = pending.popFirst() else { break }
                    group.addTask { try await Self.loadIfPresent(name, basin: basin) }
                }
                while let snapshot = try await group.next() {
                    if let snapshot { results.append(snapshot) }
                    if let name = pending.popFirst() { group.addTask { try await Self.loadIfPresent(name, basin: basin) } }
                }
                return results
            }
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.internalError, "listing snapshots failed", underlying: error)
        }
        return loaded.sorted { ($0.record.date, $0.id) < ($1.record.date, $1.id) }
    }

    /// A snapshot a concurrent `forget` removed between the listing and the read is no
    /// longer there to list: skipping it is what listing after the forget would show.
    static func loadIfPresent(_ name: String, basin: Basin) async throws(BasinError) -> Snapshot? {
        do {
            return try await load(name, basin: basin)
        } catch where error.code == .notFound {
            return nil
        }
    }

    static func load(_ name: String, basin: Basin) async throws(BasinError) -> Snapshot {
        guard let id = Key(hex: String(name.dropFirst(folder.count))) else {
            throw BasinError(.corrupted, "snapshot ref \(name) does not name a snapshot id")
        }
        let plain = try await basin.readSealedObject(name)
        do {
            return Snapshot(id: id, record: try SnapshotRecord.decode(plain))
        } catch {
            throw BasinError(.corrupted, "snapshot ref \(name) does not hold a snapshot record", underlying: error)
        }
    }

    /// The snapshot named by `text`: `latest`, a full id, or a unique id prefix.
    /// - Parameter filter: which snapshots `latest` considers.
    /// - Throws: `.notFound` when none matches; `.invalidArgument` when a prefix is ambiguous.
    public func resolve(_ text: String, among snapshots: [Snapshot]? = nil,
                        filter: (Snapshot) -> Bool = { _ in true }) async throws(BasinError) -> Snapshot {
        let all: [Snapshot]
        if let snapshots { all = snapshots } else { all = try await list() }
        if text == "latest" {
            guard let latest = all.last(where: filter) else { throw BasinError(.notFound, "there is no snapshot to use as 'latest'") }
            return latest
        }
        let lowered = text.lowercased()
        guard !lowered.isEmpty, lowered.allSatisfy(\.isHexDigit) else {
            throw BasinError(.invalidArgument, "'\(text)' is not a snapshot id: use 'latest', an id, or a unique id prefix")
        }
        let matches = all.filter { $0.id.hex.hasPrefix(lowered) }
        guard let first = matches.first else { throw BasinError(.notFound, "no snapshot \(text) in the basin") }
        guard matches.count == 1 else {
            throw BasinError(.invalidArgument, "snapshot prefix \(text) is ambiguous: \(matches.map(\.shortID).joined(separator: ", "))")
        }
        return first
    }

    /// Stores `record`: its grain, then (once every stratum it reaches is durable) its ref.
    public func save(_ record: SnapshotRecord) async throws(BasinError) -> Snapshot {
        let id = try await basin.putGrain(record.encoded(), kind: .snapshot)
        try await basin.flush()
        try lock?.ensureHeld()
        try await basin.writeSealedObject(Self.folder + id.hex, plain: record.encoded())
        return Snapshot(id: id, record: record)
    }

    /// Removes a snapshot's ref; its grains stay until prune.
    public func forget(_ snapshot: Snapshot) async throws(BasinError) {
        try await basin.deleteObject(Self.folder + snapshot.id.hex)
    }

    public func loadTree(_ key: Key) async throws(BasinError) -> Tree {
        let grain: (kind: GrainKind, plain: [UInt8])
        do {
            grain = try await basin.grain(key)
        } catch {
            throw error.reached(as: "tree")
        }
        guard grain.kind == .tree else { throw BasinError(.corrupted, "grain \(key) is a \(grain.kind), not a tree") }
        do {
            return try Tree.decode(grain.plain)
        } catch {
            throw BasinError(.corrupted, "tree \(key) is damaged: \(error)", underlying: error)
        }
    }

    public func saveTree(_ tree: Tree) async throws(BasinError) -> Key {
        try await basin.putGrain(tree.encoded(), kind: .tree)
    }

    /// The tree at `path` (components from the root tree) of a snapshot, or its entry.
    public func entry(at path: [[UInt8]], in snapshot: Snapshot) async throws(BasinError) -> TreeEntry {
        guard let rootKey = snapshot.record.treeKey else {
            throw BasinError(.corrupted, "snapshot \(snapshot.shortID) has no valid tree key")
        }
        var current = TreeEntry(name: Array("/".utf8), type: .directory, mode: 0o755, content: rootKey)
        for component in path {
            guard current.type == .directory, let key = current.content else {
                throw BasinError(.notFound, "\(Tree.display(component)) is not inside a directory in snapshot \(snapshot.shortID)")
            }
            guard let next = try await loadTree(key).entry(named: component) else {
                throw BasinError(.notFound, "no \(Tree.display(component)) in snapshot \(snapshot.shortID)")
            }
            current = next
        }
        return current
    }
}

extension BasinError {
    /// A key a snapshot reaches that the basin does not hold is damage (exit 13), not an
    /// absent key (exit 1, which means "no such snapshot or path" to scripts).
    /// - Parameter what: what the key is (`tree`, `content`), for the message.
    package func reached(as what: String) -> BasinError {
        guard code == .notFound else { return self }
        return BasinError(.corrupted, "\(what) missing: \(message)", underlying: self)
    }
}
