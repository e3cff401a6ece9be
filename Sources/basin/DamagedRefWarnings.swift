import BasinSnapshots
import BasinStore
import Synchronization

extension SnapshotRepository {
    /// The snapshots of `basin` as commands use them: each damaged ref is named in a warning
    /// on stderr, once per process however often the snapshots are listed.
    static func reporting(_ basin: Basin) -> SnapshotRepository {
        var repository = SnapshotRepository(basin: basin)
        repository.onDamagedRef = { DamagedRefWarnings.warn($0) }
        return repository
    }
}

enum DamagedRefWarnings {
    private static let warned = Mutex<Set<String>>([])

    static func warn(_ damaged: DamagedRef) {
        guard warned.withLock({ $0.insert(damaged.name).inserted }) else { return }
        let consequence = damaged.recovered == nil
            ? "its snapshot grain cannot be read either, so it is skipped and prune deletes nothing until it is removed (basin forget \(damaged.idText.prefix(8)), or basin repair snapshots)"
            : "its snapshot is read from its snapshot grain instead (basin repair snapshots rewrites the ref)"
        StandardStreams.printError("basin: warning: snapshot ref \(damaged.name) is damaged (\(damaged.error.message)); \(consequence)")
    }
}
