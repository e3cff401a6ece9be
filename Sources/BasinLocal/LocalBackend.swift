import BasinBackend
import BasinSystem
import SystemPackage

import Glibc

/// A ``Backend`` over a local directory: each object is a file at its name's relative path.
///
/// Writes never overwrite: an object is written to a temporary file `.tmp-<random>` in its own
/// directory, fsync'd, renamed to its name with `renameat2(RENAME_NOREPLACE)` (or `link` +
/// `unlink` where that is missing), and its directory fsync'd (docs/ARCHITECTURE.md, invariant 2).
/// Temporary files left by a crash are invisible to ``list(prefix:)`` and removed by
/// ``removeStaleTemporaries(olderThan:)``. A name cannot be both an object and a directory of
/// other objects (`a` and `a/b`). Empty directories left by deletes stay.
///
/// Calls that fsync, list or move more than ``readOffloadThreshold`` bytes run on a dispatch
/// queue of their own rather than on Swift's cooperative pool.
public struct LocalBackend: LocalFileBackend {
    /// The basin's directory, as given (without trailing slashes).
    public let directory: String

    /// Reads at least this large run off the cooperative pool; smaller ones, served from the
    /// page cache in microseconds, run on the caller's thread.
    package var readOffloadThreshold = 256 * 1024

    public var location: String { directory }

    /// Opens, or creates, a local backend over `directory`.
    ///
    /// - Parameters:
    ///   - directory: The basin's directory.
    ///   - create: Whether to create the directory (and its missing parents) when it is missing.
    /// - Throws: `.notFound` naming the path when it is missing and `create` is false;
    ///   `.invalidArgument` when it is not a directory; a file-system error otherwise.
    public init(directory: String, create: Bool) throws(BasinError) {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard !trimmed.isEmpty, !trimmed.utf8.contains(0) else {
            throw BasinError(.invalidArgument, "invalid basin directory '\(directory)'")
        }
        self.directory = trimmed
        if create, case .failure(let error) = Self.status(trimmed), error.errno == .noSuchFileOrDirectory {
            let base = trimmed.hasPrefix("/") ? "" : "."
            do throws(SystemError) {
                try LocalFiles.makeDirectories(base, trimmed.split(separator: "/"))
            } catch {
                throw BasinError(LocalFiles.code(for: error.errno), "cannot create basin directory \(trimmed)", underlying: error.errno)
            }
        }
        switch Self.status(trimmed) {
        case .success(let info) where info.type == .directory:
            return
        case .success:
            throw BasinError(.invalidArgument, "basin directory \(trimmed) is not a directory")
        case .failure(let error) where error.errno == .noSuchFileOrDirectory || error.errno == .notDirectory:
            throw BasinError(.notFound, "basin directory \(trimmed) does not exist", underlying: Errno.noSuchFileOrDirectory)
        case .failure(let error):
            throw BasinError(.unavailable, "cannot open basin directory \(trimmed)", underlying: error.errno)
        }
    }

    /// The file holding object `name` (which may not exist); `name` is not checked.
    ///
    /// - Parameter name: A valid object name.
    /// - Returns: The path of the object's file.
    public func localPath(of name: String) -> String {
        directory == "/" ? "/" + name : directory + "/" + name
    }

    /// Every object whose name starts with `prefix`, in no particular order; temporary files
    /// are skipped.
    ///
    /// - Parameter prefix: A name prefix; its last segment may be partial (`data/3f/3f9`).
    /// - Returns: Names and sizes.
    /// - Throws: `.invalidArgument` for an invalid prefix; a file-system error naming the
    ///   directory that could not be read.
    public func list(prefix: String) async throws(BasinError) -> [ObjectInfo] {
        try ObjectName.validatePrefix(prefix)
        let start = prefix.lastIndex(of: "/").map { String(prefix[...$0]) } ?? ""
        return try await BlockingIO.run { () throws(BasinError) in
            var found: [ObjectInfo] = []
            try walk(start) { (relative: String, info: Stat) throws(BasinError) in
                if relative.hasPrefix(prefix), let size = Int(exactly: info.size) {
                    found.append(ObjectInfo(name: relative, size: size))
                }
            } descend: { relative in
                (relative + "/").hasPrefix(prefix) || prefix.hasPrefix(relative + "/")
            }
            return found
        }
    }

    /// The whole object.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: Its bytes.
    /// - Throws: `.notFound` naming the object; `.invalidArgument` for an invalid name;
    ///   a file-system error naming the object.
    public func read(_ name: String) async throws(BasinError) -> [UInt8] {
        try ObjectName.validate(name)
        let (fd, size) = try openForReading(name)
        let work = { @Sendable () throws(BasinError) -> [UInt8] in
            defer { try? fd.closeOnce() }
            let bytes = try readBytes(fd, name: name, count: size, offset: 0)
            guard bytes.count == size else {
                throw BasinError(.corrupted, "object '\(name)' at \(localPath(of: name)) changed size while being read")
            }
            return bytes
        }
        return size >= readOffloadThreshold ? try await BlockingIO.run(work) : try work()
    }

    /// Bytes `range` of the object.
    ///
    /// - Parameters:
    ///   - name: The object's name.
    ///   - range: Byte offsets; must lie within the object.
    /// - Returns: Exactly `range.count` bytes.
    /// - Throws: `.corrupted` naming the object when it is shorter than `range.upperBound`;
    ///   `.notFound` naming it when missing; `.invalidArgument` for a negative offset or an
    ///   invalid name.
    public func read(_ name: String, range: Range<Int>) async throws(BasinError) -> [UInt8] {
        try ObjectName.validate(name)
        guard range.lowerBound >= 0 else {
            throw BasinError(.invalidArgument, "cannot read object '\(name)': negative offset \(range.lowerBound)")
        }
        let (fd, size) = try openForReading(name)
        let work = { @Sendable () throws(BasinError) -> [UInt8] in
            defer { try? fd.closeOnce() }
            var bytes: [UInt8] = []
            if range.upperBound <= size {
                bytes = try readBytes(fd, name: name, count: range.count, offset: range.lowerBound)
            }
            guard bytes.count == range.count else { throw shortObject(name, size: size, range: range) }
            return bytes
        }
        return range.count >= readOffloadThreshold ? try await BlockingIO.run(work) : try work()
    }

    /// Size of the object, or nil when it does not exist.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: Its name and size, or nil.
    /// - Throws: `.invalidArgument` for an invalid name; a file-system error naming the object.
    public func stat(_ name: String) async throws(BasinError) -> ObjectInfo? {
        try ObjectName.validate(name)
        let path = localPath(of: name)
        switch Self.status(path) {
        case .success(let info):
            guard info.type == .regular, let size = Int(exactly: info.size) else { return nil }
            return ObjectInfo(name: name, size: size)
        case .failure(let error) where error.errno == .noSuchFileOrDirectory || error.errno == .notDirectory:
            return nil
        case .failure(let error):
            throw LocalFiles.error(error, "stat", object: name, path: path)
        }
    }

    /// Writes a new object atomically and durably (temporary file, fsync, no-replace rename,
    /// directory fsync), creating its parent directories as needed.
    ///
    /// - Parameters:
    ///   - name: The object's name.
    ///   - bytes: Its whole content.
    /// - Throws: `.alreadyExists` when `name` exists (which is left as it was); `.noSpace`
    ///   naming the object on a full disk or quota; `.invalidArgument` for an invalid name;
    ///   another file-system error naming the object. Failures leave no temporary file.
    public func write(_ name: String, bytes: [UInt8]) async throws(BasinError) {
        try ObjectName.validate(name)
        try await BlockingIO.run { () throws(BasinError) in
            let upload = try LocalUpload(backend: self, name: name)
            try upload.appendNow(bytes)
            try upload.commitNow()
        }
    }

    /// Starts a streamed write of a new object, invisible until the upload's `commit`.
    ///
    /// - Parameter name: The object's name.
    /// - Returns: The upload; `commit` may fail with `.alreadyExists` if `name` is taken by then.
    /// - Throws: `.invalidArgument` for an invalid name; a file-system error naming the object.
    public func beginWrite(_ name: String) async throws(BasinError) -> any ObjectUpload {
        try ObjectName.validate(name)
        return try await BlockingIO.run { () throws(BasinError) in try LocalUpload(backend: self, name: name) }
    }

    /// Deletes the object and fsyncs its directory; a missing object is not an error.
    ///
    /// - Parameter name: The object's name.
    /// - Throws: `.invalidArgument` for an invalid name; a file-system error naming the object.
    public func delete(_ name: String) async throws(BasinError) {
        try ObjectName.validate(name)
        let path = localPath(of: name)
        try await BlockingIO.run { () throws(BasinError) in
            do throws(SystemError) {
                try FileDescriptor.currentDirectory.remove(Array(path.utf8))
            } catch where [.noSuchFileOrDirectory, .notDirectory, .isDirectory].contains(error.errno) {
                return  // no such object (a directory is not an object)
            } catch {
                throw LocalFiles.error(error, "delete", object: name, path: path)
            }
            let directory = String(path[..<path.lastIndex(of: "/")!])
            do throws(SystemError) {
                try FileDescriptor.currentDirectory.syncDirectory(Array((directory.isEmpty ? "/" : directory).utf8))
            } catch {
                throw LocalFiles.error(error, "fsync the directory of", object: name, path: directory)
            }
        }
    }

    /// Removes the temporary files of this process's writes still under way, for a process
    /// about to exit on a signal: what it had not committed leaves nothing behind. Those
    /// writes then fail, and so does every write started afterwards.
    public static func removeTemporariesInFlight() {
        LocalUpload.inFlight.withLock { registry in
            registry.closed = true
            for path in registry.paths { try? FileDescriptor.currentDirectory.remove(Array(path.utf8)) }
            registry.paths = []
        }
    }

    /// Removes temporary files left by writes that never finished (a crash, a killed process).
    ///
    /// Only files older than `age` are removed, so that uploads still running in this or
    /// another process keep theirs: pass an age longer than any upload can take, or `.zero`
    /// when no writer can be running.
    ///
    /// - Parameter age: The minimum age, by modification time, of a file to remove.
    /// - Returns: How many files were removed.
    /// - Throws: A file-system error naming the directory or file that failed.
    @discardableResult
    public func removeStaleTemporaries(olderThan age: Duration = .seconds(3600)) async throws(BasinError) -> Int {
        let cutoff = Int(time(nil)) - Int(age.components.seconds)
        return try await BlockingIO.run { () throws(BasinError) in
            var removed = 0
            try walk("", includeTemporaries: true) { (relative: String, info: Stat) throws(BasinError) in
                let file = relative.split(separator: "/").last.map(String.init) ?? relative
                guard file.hasPrefix(ObjectName.temporaryPrefix), Int(info.st_mtim.tv_sec) <= cutoff else { return }
                let path = localPath(of: relative)
                do throws(SystemError) {
                    try FileDescriptor.currentDirectory.remove(Array(path.utf8))
                    removed += 1
                } catch where error.errno == .noSuchFileOrDirectory {
                    // removed meanwhile by another process
                } catch {
                    throw LocalFiles.error(error, "remove the temporary file", object: relative, path: path)
                }
            } descend: { _ in true }
            return removed
        }
    }
}

extension LocalBackend {
    /// Opens an object's file for reading; returns its descriptor and size.
    private func openForReading(_ name: String) throws(BasinError) -> (FileDescriptor, Int) {
        let path = localPath(of: name)
        let fd: FileDescriptor
        do throws(SystemError) {
            fd = try FileDescriptor.currentDirectory.open(Array(path.utf8), .readOnly)
        } catch where error.errno == .noSuchFileOrDirectory || error.errno == .notDirectory {
            throw BasinError(.notFound, "object '\(name)' not found at \(path)", underlying: Errno.noSuchFileOrDirectory)
        } catch {
            throw LocalFiles.error(error, "open", object: name, path: path)
        }
        let info: Stat
        do throws(SystemError) {
            info = try fd.status()
        } catch {
            try? fd.closeOnce()
            throw LocalFiles.error(error, "stat", object: name, path: path)
        }
        guard info.type == .regular else {
            try? fd.closeOnce()
            throw BasinError(.notFound, "object '\(name)' not found: \(path) is not a regular file")
        }
        return (fd, Int(info.size))
    }

    private func readBytes(_ fd: FileDescriptor, name: String, count: Int, offset: Int) throws(BasinError) -> [UInt8] {
        do throws(SystemError) {
            return try fd.read(count: count, at: Int64(offset))
        } catch {
            throw LocalFiles.error(error, "read", object: name, path: localPath(of: name))
        }
    }

    /// `stat` of `path`, following symbolic links (a lane directory may be a link to another disk).
    private static func status(_ path: String) -> Result<Stat, SystemError> {
        Result { () throws(SystemError) in try FileDescriptor.currentDirectory.status(of: Array(path.utf8), followingSymlink: true) }
    }

    /// The entries of directory `path`.
    private static func entries(_ path: String) -> Result<[DirectoryEntry], SystemError> {
        Result { () throws(SystemError) in try FileDescriptor.currentDirectory.directoryEntries(of: Array(path.utf8)) }
    }

    private func shortObject(_ name: String, size: Int, range: Range<Int>) -> BasinError {
        BasinError(.corrupted,
            "object '\(name)' is shorter than expected: \(size) bytes, bytes \(range.lowerBound)..<\(range.upperBound) wanted")
    }

    /// Calls `visit` for every regular file below `start` (a relative directory, "" or ending
    /// in "/"), entering only the subdirectories `descend` accepts. A missing `start` is empty.
    private func walk(
        _ start: String,
        includeTemporaries: Bool = false,
        visit: (String, Stat) throws(BasinError) -> Void,
        descend: (String) -> Bool
    ) throws(BasinError) {
        // A bound on depth keeps a symbolic link to an ancestor from looping forever.
        func enter(_ child: String) -> Bool {
            descend(child) && child.utf8.count(where: { $0 == UInt8(ascii: "/") }) < 32
        }
        var pending = [String(start.dropLast(start.hasSuffix("/") ? 1 : 0))]
        var first = true
        while let relative = pending.popLast() {
            let path = relative.isEmpty ? directory : localPath(of: relative)
            let entries: [DirectoryEntry]
            switch Self.entries(path) {
            case .success(let read): entries = read
            case .failure(let error) where first && (error.errno == .noSuchFileOrDirectory || error.errno == .notDirectory):
                return
            case .failure(let error) where error.errno == .noSuchFileOrDirectory:
                continue  // removed while we walked
            case .failure(let error):
                throw LocalFiles.error(error, "list", object: relative, path: path)
            }
            first = false
            for entry in entries {
                let entryName = String(decoding: entry.name, as: UTF8.self)
                if !includeTemporaries && entryName.hasPrefix(ObjectName.temporaryPrefix) { continue }
                let child = relative.isEmpty ? entryName : relative + "/" + entryName
                if entry.type == .directory {
                    if enter(child) { pending.append(child) }
                    continue
                }
                // Files need a stat for their size; links and unknown types need it to tell.
                let info: Stat
                switch Self.status(localPath(of: child)) {
                case .success(let read): info = read
                case .failure(let error) where error.errno == .noSuchFileOrDirectory: continue  // removed while we walked
                case .failure(let error): throw LocalFiles.error(error, "stat", object: child, path: localPath(of: child))
                }
                if info.type == .regular {
                    try visit(child, info)
                } else if info.type == .directory, enter(child) {
                    pending.append(child)
                }
            }
        }
    }
}
