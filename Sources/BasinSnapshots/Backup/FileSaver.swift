import BasinBackend
import BasinCore
import BasinStore
import Glibc
import SystemPackage

/// Reads files and stores their content (restic's file saver). One job is a batch of small
/// files, read whole one after another, or one large file streamed through the store's
/// chunking; the walk keeps at most `readers` jobs running, so at most that many files are
/// open and, with a large file's few chunks in flight, memory stays bounded. A file that
/// cannot be opened or read is left out with a warning; a store error ends the backup.
struct FileSaver: Sendable {
    let engine: BackupEngine

    /// Files up to this size are read whole and stored in batches.
    static let smallFileLimit: UInt64 = 1 << 20
    /// A batch of small files ends at this many files or bytes.
    static let batchFiles = 64
    static let batchBytes: UInt64 = 8 << 20

    /// A file to read, and where its entry goes.
    struct File: Sendable {
        let slot: TreeSaver.Slot
        let path: SnapshotPath
        let status: FileStatus
        /// Not in the parent snapshot as a file (counted as new rather than changed).
        let isNew: Bool
    }

    /// Files of one directory for one reader.
    struct Job: Sendable {
        /// Where the files are opened by name; nil for a target file, opened by its path.
        let directory: DirectoryHandle?
        private(set) var files: [File] = []
        private(set) var bytes: UInt64 = 0

        init(directory: DirectoryHandle?) { self.directory = directory }

        mutating func append(_ file: File) {
            files.append(file)
            bytes += file.status.size
        }

        var isFull: Bool { files.count >= FileSaver.batchFiles || bytes >= FileSaver.batchBytes }
    }

    /// Saves the job's files in turn, stopping between files when the task is cancelled.
    /// - Returns: each file's entry, nil for a file left out.
    func save(_ job: Job) async throws -> [TreeSaver.Filled] {
        var filled: [TreeSaver.Filled] = []
        filled.reserveCapacity(job.files.count)
        for file in job.files {
            try Task.checkCancellation()
            filled.append(TreeSaver.Filled(slot: file.slot, entry: try await save(file, in: job.directory)))
        }
        return filled
    }

    /// Reads a file and stores its content; nil (with a warning) when it cannot be read.
    func save(_ file: File, in directory: DirectoryHandle?) async throws -> TreeEntry? {
        let name = file.path.name ?? []
        let fd: Int32
        do {
            fd = try FileSystem.openFile(at: directory?.fd ?? AT_FDCWD, name: directory == nil ? file.path.bytes : name)
        } catch {
            engine.warn("\(file.path): cannot open: \(error)")
            return nil
        }
        defer { close(fd) }
        engine.state.withLock {
            $0.filesInFlight += 1
            $0.maxFilesInFlight = max($0.maxFilesInFlight, $0.filesInFlight)
        }
        defer { engine.state.withLock { $0.filesInFlight -= 1 } }
        var entry = engine.makeEntry(name: name, status: file.status, path: file.path)
        let dryRun = engine.options.dryRun
        let basin = engine.basin
        var bytesRead: Int64 = 0
        do {
            if file.status.size <= Self.smallFileLimit {
                let content = try Self.readWhole(fd, expected: Int(file.status.size))
                bytesRead = Int64(content.count)
                if !content.isEmpty {
                    entry.content = dryRun ? basin.key(of: content) : try await basin.writeValue(content)
                }
            } else {
                let read = { (buffer: UnsafeMutableRawBufferPointer) throws -> Int in
                    // A large file is where cancelling must not wait for the end of the read.
                    try Task.checkCancellation()
                    let count = try FileSystem.read(fd, into: buffer)
                    bytesRead += Int64(count)
                    return count
                }
                // A dry run only hashes: the key is what the value would be stored under.
                let key = dryRun ? try basin.key(reading: read) : try await basin.writeValue(reading: read)
                entry.content = bytesRead == 0 ? nil : key
            }
        } catch let error as Errno {
            engine.warn("\(file.path): cannot read: \(error)")
            return nil
        } catch let error as BasinError where error.underlying is Errno {
            // The read failed, not the basin: skip the file, as for any unreadable file.
            engine.warn("\(file.path): cannot read: \(error.underlying!)")
            return nil
        }
        entry.size = UInt64(bytesRead)
        engine.state.withLock {
            $0.filesRead += 1
            $0.summary.bytesRead += bytesRead
            if file.isNew { $0.summary.filesNew += 1 } else { $0.summary.filesChanged += 1 }
        }
        engine.progress.fileDone(bytes: bytesRead, path: file.path.description)
        if let fileSaved = engine.hooks.fileSaved { await fileSaved(file.path) }
        return entry
    }

    /// All of a small file, reading past its stat size in case it grew.
    static func readWhole(_ fd: Int32, expected: Int) throws -> [UInt8] {
        var content = [UInt8](repeating: 0, count: expected + 1)
        var filled = 0
        while true {
            if filled == content.count { content.append(contentsOf: repeatElement(0, count: max(4096, content.count))) }
            let count = try content.withUnsafeMutableBytes { buffer in
                try FileSystem.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            if count == 0 { break }
            filled += count
        }
        content.removeLast(content.count - filled)
        return content
    }
}
