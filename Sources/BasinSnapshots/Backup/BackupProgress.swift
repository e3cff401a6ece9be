import Synchronization

/// Live counters of a running backup, read by the CLI's progress line.
public final class BackupProgress: Sendable {
    public struct Snapshot: Sendable {
        public var filesDone = 0
        public var bytesDone: Int64 = 0
        public var filesTotal = 0
        public var bytesTotal: Int64 = 0
        /// False until the size of the whole input is known (for an ETA).
        public var totalsKnown = false
        public var currentFile = ""
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var current: Snapshot { state.withLock { $0 } }

    func fileDone(bytes: Int64, path: String) {
        state.withLock {
            $0.filesDone += 1
            $0.bytesDone += bytes
            $0.currentFile = path
        }
    }

    func setTotals(files: Int, bytes: Int64) {
        state.withLock {
            $0.filesTotal = files
            $0.bytesTotal = bytes
            $0.totalsKnown = true
        }
    }
}
