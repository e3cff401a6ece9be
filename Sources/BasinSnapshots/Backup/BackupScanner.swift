import Dispatch
import Glibc
import Synchronization

/// Counts the files and bytes a backup will cover, for the progress line's totals (restic's
/// scanner): stat only, honouring excludes, ignoring whatever cannot be read.
struct BackupScanner {
    let targets: [SnapshotPath]
    let excluder: ExcludeMatcher
    /// Set when the task that asked for the count is cancelled; the walk then stops.
    let stop: Stop

    final class Stop: Sendable {
        private let flag = Atomic<Bool>(false)

        func set() { flag.store(true, ordering: .relaxed) }

        var isSet: Bool { flag.load(ordering: .relaxed) }
    }

    func count() -> (files: Int, bytes: Int64) {
        var files = 0
        var bytes: Int64 = 0
        func walk(_ directory: DirectoryHandle, _ path: SnapshotPath) {
            guard !stop.isSet,
                  let entries = try? directory.entries(at: path, excluding: excluder, failed: { _, _ in }) else { return }
            for (name, status) in entries {
                if status.type == .file {
                    files += 1
                    bytes += Int64(status.size)
                } else if status.type == .directory, let child = try? DirectoryHandle(at: directory.fd, name: name) {
                    walk(child, path.appending(name))
                }
            }
        }
        for target in targets {
            guard let status = try? FileSystem.status(path: target.bytes) else { continue }
            if status.type == .directory, let directory = try? DirectoryHandle(at: AT_FDCWD, name: target.bytes) {
                walk(directory, target)
            } else if status.type == .file {
                files += 1
                bytes += Int64(status.size)
            }
        }
        return (files, bytes)
    }
}

extension BackupEngine {
    /// Counts the files and bytes a backup will cover (stat only, honouring excludes) and
    /// hands the totals to `progress`, for an ETA. Runs beside `run()` on a thread of its own
    /// (it blocks in system calls, and must not hold one of the few cooperative threads);
    /// errors are ignored, and cancelling the calling task stops the count.
    public func countInput() async {
        let stop = BackupScanner.Stop()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global(qos: .utility).async {
                    let targets = self.options.paths.compactMap { try? Self.absolutePath($0) }
                    let scanner = BackupScanner(targets: targets, excluder: self.excluder, stop: stop)
                    let (files, bytes) = scanner.count()
                    if !stop.isSet { self.progress.setTotals(files: files, bytes: bytes) }
                    continuation.resume()
                }
            }
        } onCancel: {
            stop.set()
        }
    }
}
