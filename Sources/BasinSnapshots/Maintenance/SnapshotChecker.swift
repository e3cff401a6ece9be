import BasinBackend
import BasinCore
import BasinStore

/// The snapshot half of `basin check`: every snapshot ref opens and matches its snapshot
/// grain; every tree reachable from a snapshot decodes; every key reached (subtrees, file
/// contents, clasts and their chunks) is in the index, with the kind and size its referrer
/// expects; so is every value the root records keep. Reads the meta lane only.
public struct SnapshotChecker: Sendable {
    public let repository: SnapshotRepository

    /// What checking the snapshots found.
    public struct Report: Sendable {
        public var problems: [CheckProblem] = []
        public var snapshots = 0
        public var trees = 0
        public var clasts = 0
        public var keys = 0
    }

    public init(repository: SnapshotRepository) {
        self.repository = repository
    }

    /// Checks every snapshot.
    /// - Parameter inventory: the strata's grains (from the store check), for sizes.
    /// - Throws: transient backend errors only; problems are in the report.
    public func run(inventory: StratumInventory) async throws(BasinError) -> Report {
        var report = Report()
        var snapshots: [Snapshot] = []
        let refs = try await repository.basin.listObjects(prefix: SnapshotRepository.folder).sorted(by: { $0.name < $1.name })
        // Backups may run beside check: what the listed refs reach was durable before them,
        // so the index reloaded now holds it all.
        try await repository.basin.reloadIndex()
        for object in refs {
            report.snapshots += 1
            do {
                snapshots.append(try await checkRef(object.name))
            } catch {
                if error.code == .unavailable { throw error }
                report.problems.append(CheckProblem(.snapshot, object: object.name, error.message))
            }
        }
        var lengths: [Key: UInt32] = [:]
        for stratum in inventory.strata {
            for entry in stratum.entries { lengths[entry.key] = entry.plainLength }
        }
        // The stored values and names must be whole too: prune keeps them.
        var roots = RootState()
        do {
            roots = try await repository.basin.roots().state
        } catch {
            if error.code == .unavailable { throw error }
            report.problems.append(CheckProblem(.roots, object: Basin.rootsFolder, error.message))
        }
        let walked = await ReachabilityWalker(repository: repository, plainLengths: lengths).walk(snapshots, roots: roots)
        report.problems += walked.problems
        report.trees = walked.trees
        report.clasts = walked.clasts
        report.keys = walked.keys.count
        return report
    }

    /// Opens a ref and compares it with the snapshot grain its name points to.
    func checkRef(_ name: String) async throws(BasinError) -> Snapshot {
        guard let id = Key(hex: String(name.dropFirst(SnapshotRepository.folder.count))) else {
            throw BasinError(.corrupted, "the name does not hold a snapshot id")
        }
        let plain = try await repository.basin.readSealedObject(name)
        let record: SnapshotRecord
        do {
            record = try SnapshotRecord.decode(plain)
        } catch {
            throw BasinError(.corrupted, "does not hold a snapshot record: \(error)", underlying: error)
        }
        guard let located = repository.basin.locate(id) else {
            throw BasinError(.corrupted, "its snapshot grain \(id) is missing")
        }
        guard located.kind == GrainKind.snapshot.rawValue else {
            throw BasinError(.corrupted, "key \(id) names a grain of kind \(located.kind), not a snapshot")
        }
        let grain = try await repository.basin.grain(id)
        guard grain.plain == plain else {
            throw BasinError(.corrupted, "the ref and its snapshot grain \(id) hold different records")
        }
        return Snapshot(id: id, record: record)
    }
}
