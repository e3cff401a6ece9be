import BasinBackend
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

/// A snapshot ref that does not open (garbage, cut short, a name that is no id).
public struct DamagedRef: Sendable {
    /// The ref's object name, `snapshots/<id>`.
    public let name: String
    public let error: BasinError
    /// Its snapshot, read from the snapshot grain the name points to; nil when that grain
    /// cannot be read either, so what the snapshot reaches is unknown.
    public let recovered: Snapshot?

    /// The id part of the name (whatever it holds).
    public var idText: String { String(name.dropFirst(SnapshotRepository.folder.count)) }
}

/// What listing the snapshot refs found.
public struct SnapshotListing: Sendable {
    /// Oldest first, those recovered from their snapshot grains included.
    public var snapshots: [Snapshot] = []
    /// By name.
    public var damaged: [DamagedRef] = []
    /// Damaged refs whose snapshot could not be recovered: what they reach is unknown.
    public var unrecoverable: [DamagedRef] { damaged.filter { $0.recovered == nil } }
}

/// Snapshots and trees in a basin. Listing reads only the small sealed refs under
/// `snapshots/` (never the data lane); trees are grains of the meta lane.
public struct SnapshotRepository: Sendable {
    public static let folder = "snapshots/"
    public let basin: Basin
    /// The lock a backup holds: `save` writes a snapshot ref only while it is still held, so a
    /// backup whose lock was lost (and whose grains a prune may have deleted) publishes nothing.
    public var lock: BasinLock?
    /// Told of each damaged ref whenever snapshots are listed (the CLI prints a warning).
    public var onDamagedRef: (@Sendable (DamagedRef) -> Void)?

    public init(basin: Basin) {
        self.basin = basin
    }

    /// Every snapshot, oldest first; damaged refs are handed to ``onDamagedRef`` (see ``listing()``).
    public func list() async throws(BasinError) -> [Snapshot] {
        try await listing().snapshots
    }

    /// Every snapshot, oldest first, and the refs that could not be read.
    ///
    /// A damaged ref does not hide the others. Its snapshot is still listed when the snapshot
    /// grain its name points to is whole (the ref is a copy of that grain's record); a ref
    /// whose grain cannot be read either is left out. Each damaged ref is also handed to
    /// ``onDamagedRef``.
    /// - Throws: the backend's errors other than damage (a listing or read that failed).
    public func listing() async throws(BasinError) -> SnapshotListing {
        let names = try await basin.listObjects(prefix: Self.folder).map(\.name)
        let basin = basin
        var listing = SnapshotListing()
        do {
            try await withThrowingTaskGroup(of: Loaded.self) { group in
                var pending = names[...]
                // At most 16 reads in flight: an S3 basin may hold thousands of snapshots.
                for _ in 0..<16 {
                    guard let name = pending.popFirst() else { break }
                    group.addTask { try await Self.loadIfPresent(name, basin: basin) }
                }
                while let loaded = try await group.next() {
                    switch loaded {
                    case .snapshot(let snapshot): listing.snapshots.append(snapshot)
                    case .damaged(let damaged):
                        listing.damaged.append(damaged)
                        if let snapshot = damaged.recovered { listing.snapshots.append(snapshot) }
                    case .gone: break
                    }
                    if let name = pending.popFirst() { group.addTask { try await Self.loadIfPresent(name, basin: basin) } }
                }
            }
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.internalError, "listing snapshots failed", underlying: error)
        }
        listing.snapshots.sort { ($0.record.date, $0.id) < ($1.record.date, $1.id) }
        listing.damaged.sort { $0.name < $1.name }
        for damaged in listing.damaged { onDamagedRef?(damaged) }
        return listing
    }

    enum Loaded: Sendable {
        case snapshot(Snapshot)
        case damaged(DamagedRef)
        /// Removed between the listing and the read.
        case gone
    }

    /// A snapshot a concurrent `forget` removed between the listing and the read is no
    /// longer there to list: skipping it is what listing after the forget would show.
    static func loadIfPresent(_ name: String, basin: Basin) async throws(BasinError) -> Loaded {
        do {
            return .snapshot(try await load(name, basin: basin))
        } catch where error.code == .notFound {
            return .gone
        } catch where error.code == .corrupted {
            return .damaged(DamagedRef(name: name, error: error, recovered: await recover(name, basin: basin)))
        }
    }

    /// The snapshot the ref `name` (`snapshots/<id>`) stands for, from its snapshot grain;
    /// nil when that grain cannot be read.
    public func recover(ref name: String) async -> Snapshot? {
        await Self.recover(name, basin: basin)
    }

    /// The snapshot of a damaged ref, from the snapshot grain its name points to, or nil when
    /// that grain cannot be read either. The grain's key is checked as it is read, so what it
    /// holds is the record the ref was written from.
    static func recover(_ name: String, basin: Basin) async -> Snapshot? {
        guard let id = Key(hex: String(name.dropFirst(folder.count))),
              let grain = try? await basin.grain(id), grain.kind == .snapshot,
              let record = try? SnapshotRecord.decode(grain.plain) else { return nil }
        return Snapshot(id: id, record: record)
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

    /// The entry at `path` (components from the root tree) of a snapshot: the root's for `[]`.
    /// - Throws: `.notFound` naming the path when it is not in the snapshot.
    public func entry(at path: [[UInt8]], in snapshot: Snapshot) async throws(BasinError) -> TreeEntry {
        try await node(at: path, in: snapshot).entry
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
