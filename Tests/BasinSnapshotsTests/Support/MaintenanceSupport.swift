import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import Foundation
import Testing
import BasinTestSupport

/// Helpers for prune and check tests.
enum Maintenance {
    /// Prune options that delete in the same run (grace 0) and repack every partly dead stratum.
    static func pruneEverything(holder: LockHolder = .current) -> PruneOptions {
        var options = PruneOptions()
        options.gracePeriod = 0
        options.plan.maxUnused = 0
        options.holder = holder
        return options
    }

    /// A holder whose locks look stale to everyone on this host (no process has this pid):
    /// what a killed process leaves behind.
    static let deadHolder = LockHolder(hostname: LockHolder.current.hostname, pid: Int32.max, username: "crashed")

    /// Every problem `basin check --read-data` would report.
    static func problems(_ repository: SnapshotRepository, readData: DataSelection = .all) async throws -> [CheckProblem] {
        let store = try await Checker(basin: repository.basin, readData: readData).run()
        let snapshots = try await SnapshotChecker(repository: repository).run(inventory: store.inventory)
        return store.problems + snapshots.problems
    }

    /// Every file of a snapshot, by path, with its content read back from the basin.
    static func files(of snapshot: Snapshot, in repository: SnapshotRepository) async throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        var pending: [(Key, String)] = [(try #require(snapshot.record.treeKey), "")]
        while let (key, path) = pending.popLast() {
            for entry in try await repository.loadTree(key).entries {
                let child = path + "/" + Tree.display(entry.name)
                switch entry.type {
                case .directory: pending.append((try #require(entry.content), child))
                case .file:
                    if let content = entry.content { files[child] = try await repository.basin.get(content) } else { files[child] = [] }
                default: break
                }
            }
        }
        return files
    }

    /// The files `nodes` describe, by path, as `files(of:in:)` lists them.
    static func files(of nodes: [Node], below path: String = "") -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for node in nodes {
            let child = path + "/" + Tree.display(node.entry.name)
            switch node.entry.type {
            case .directory: files.merge(Self.files(of: node.children, below: child)) { first, _ in first }
            case .file: files[child] = node.content
            default: break
            }
        }
        return files
    }

    /// Every object name and size of a memory backend.
    static func objects(_ backend: MemoryBackend) -> [String: Int] {
        backend.snapshot().mapValues(\.count)
    }
}
