import BasinBackend
import BasinCore
import BasinStore
import BasinSystem
import SystemPackage

/// Writes one regular file's content from the basin, optionally verifies it, and applies its
/// metadata. Runs as a child task of the restore, several at a time; each holds at most one
/// chunk of its file in memory.
struct FileRestorer: Sendable {
    /// A file created (empty) by the walk, waiting for its content.
    struct Job: Sendable {
        let fd: FileDescriptor
        let key: Key
        let entry: TreeEntry
        /// The path relative to the target directory.
        let relativePath: [UInt8]
        let display: String
    }

    enum Outcome: Sendable {
        case written(bytes: Int64, verified: Bool, warnings: [String])
        case failed(RestoreReport.Failure, warnings: [String])
    }

    let basin: Basin
    /// The target directory, open for the whole restore.
    let rootFD: FileDescriptor
    let verify: Bool
    let metadata: MetadataWriter
    let tracker: RestoreProgressTracker
    let hooks: RestoreEngine.Hooks

    /// How much of a file verification reads at a time.
    static let verifyBlockSize = 1 << 20
    /// Whole blocks of zeros this size (aligned) are left as holes, as `tar -S` does.
    static let holeBlockSize = 4096

    /// Restores one file key by key (``Basin/get(_:into:)``); ``BatchRestorer`` restores most
    /// files, this one those the index does not place.
    func restore(_ job: Job) async -> Outcome {
        tracker.started(job.display)
        var written: Int64 = 0
        do throws(BasinError) {
            try await basin.get(job.key) { (piece: [UInt8]) throws(BasinError) in
                do throws(SystemError) {
                    try job.fd.writeSparse(piece, at: written, blockSize: Self.holeBlockSize)
                } catch {
                    throw Self.writeError(error, job)
                }
                written += Int64(piece.count)
                tracker.wrote(piece.count)
            }
        } catch {
            return failed(job, error)
        }
        return complete(job, written: written)
    }

    /// Ends a file whose content could not be written: removes it, so that no file looks
    /// restored but holds part of its content, and closes it.
    func failed(_ job: Job, _ error: BasinError) -> Outcome {
        defer { try? job.fd.closeOnce() }
        try? rootFD.remove(job.relativePath)
        tracker.finishedFile()
        let message = error.message.contains(job.key.hex) ? error.message : "content \(job.key): \(error.message)"
        return .failed(.init(path: job.display, message: message, code: error.reached(as: "content").code), warnings: [])
    }

    /// Ends a file whose content is written: sets its size (a file ending in a hole needs it),
    /// checks it, verifies it when asked, applies its metadata and closes it.
    func complete(_ job: Job, written: Int64) -> Outcome {
        do throws(SystemError) {
            try job.fd.setSize(written)
        } catch {
            return failed(job, BasinError(error.errno == .noSpace ? .noSpace : .unavailable,
                                          "cannot set the size of \(job.display): \(error.errno)"))
        }
        defer { try? job.fd.closeOnce() }
        var warnings: [String] = []
        if written != Int64(job.entry.size) {
            warnings.append("\(job.display): the content has \(written) bytes where the tree records \(job.entry.size)")
        }
        hooks.afterContentWritten?(job.fd, job.relativePath)
        if verify, let failure = check(job) {
            tracker.finishedFile()
            return .failed(failure, warnings: warnings)
        }
        let applied = metadata.apply(job.entry, to: job.fd, display: job.display)
        warnings += applied.warnings
        tracker.finishedFile()
        if let message = applied.failure {
            return .failed(.init(path: job.display, message: message, code: .unavailable), warnings: warnings)
        }
        return .written(bytes: written, verified: verify, warnings: warnings)
    }

    /// The error for content that could not be written to `job`'s file.
    static func writeError(_ error: SystemError, _ job: Job) -> BasinError {
        BasinError(error.errno == .noSpace ? .noSpace : .unavailable, "cannot write \(job.display): \(error.errno)")
    }

    /// Re-reads the file and checks it hashes to its content key; a failure when it does not.
    private func check(_ job: Job) -> RestoreReport.Failure? {
        var hasher = basin.makeKeyHasher()
        var offset: Int64 = 0
        while true {
            switch Result(catching: { () throws(SystemError) in try job.fd.read(count: Self.verifyBlockSize, at: offset) }) {
            case let .failure(error):
                return .init(path: job.display, message: "cannot read back to verify: \(error.errno)", code: .unavailable)
            case let .success(block):
                if block.isEmpty {
                    guard Key(bytes: hasher.finalize()) == job.key else {
                        return .init(path: job.display, message: "verify: the restored file does not match its content key \(job.key)",
                                     code: .corrupted)
                    }
                    return nil
                }
                hasher.update(block)
                offset += Int64(block.count)
            }
        }
    }
}
