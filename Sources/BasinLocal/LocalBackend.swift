import BasinBackend
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
        if create, case .failure(.noSuchFileOrDirectory) = FileIO.status(trimmed) {
            let base = trimmed.hasPrefix("/") ? "" : "."
            if let error = FileIO.makeDirectories(base, trimmed.split(separator: "/")) {
                throw BasinError(FileIO.code(for: error), "cannot create basin directory \(trimmed)", underlying: error)
            }
        }
        switch FileIO.status(trimmed) {
        case .success(let info) where FileIO.isDirectory(info):
            return
        case .success:
            throw BasinError(.invalidArgument, "basin directory \(trimmed) is not a directory")
        case .failure(.noSuchFileOrDirectory), .failure(.notDirectory):
            throw BasinError(.notFound, "basin directory \(trimmed) does not exist", underlying: Errno.noSuchFileOrDirectory)
        case .failure(let error):
            throw BasinError(.unavailable, "cannot open basin directory \(trimmed)", underlying: error)
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
            try walk(start) { (relative: String, info: stat) throws(BasinError) in
                if relative.hasPrefix(prefix), let size = Int(exactly: info.st_size) {
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
            defer { FileIO.closeFile(fd) }
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
            defer { FileIO.closeFile(fd) }
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
        switch FileIO.status(path) {
        case .success(let info):
            guard FileIO.isRegularFile(info), let size = Int(exactly: info.st_size) else { return nil }
            return ObjectInfo(name: name, size: size)
        case .failure(.noSuchFileOrDirectory), .failure(.notDirectory):
            return nil
        case .failure(let error):
            throw FileIO.error(error, "stat", object: name, path: path)
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
            switch FileIO.removeFile(path) {
            case nil:
                let directory = String(path[..<path.lastIndex(of: "/")!])
                if let error = FileIO.syncDirectory(directory.isEmpty ? "/" : directory) {
                    throw FileIO.error(error, "fsync the directory of", object: name, path: directory)
                }
            case .noSuchFileOrDirectory?, .notDirectory?, .isDirectory?:
                return  // no such object (a directory is not an object)
            case let error?:
                throw FileIO.error(error, "delete", object: name, path: path)
            }
        }
    }

    /// Removes the temporary files of this process's writes still under way, for a process
    /// about to exit on a signal: what it had not committed leaves nothing behind. Those
    /// writes then fail, and so does every write started afterwards.
    public static func removeTemporariesInFlight() {
        LocalUpload.inFlight.withLock { registry in
            registry.closed = true
            for path in registry.paths { _ = FileIO.removeFile(path) }
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
            try walk("", includeTemporaries: true) { (relative: String, info: stat) throws(BasinError) in
                let file = relative.split(separator: "/").last.map(String.init) ?? relative
                guard file.hasPrefix(ObjectName.temporaryPrefix), FileIO.modificationTime(info) <= cutoff else { return }
                let path = localPath(of: relative)
                switch FileIO.removeFile(path) {
                case nil: removed += 1
                case .noSuchFileOrDirectory?: break
                case let error?: throw FileIO.error(error, "remove the temporary file", object: relative, path: path)
                }
            } descend: { _ in true }
            return removed
        }
    }
}

extension LocalBackend {
    /// Opens an object's file for reading; returns its descriptor and size.
    private func openForReading(_ name: String) throws(BasinError) -> (CInt, Int) {
        let path = localPath(of: name)
        let fd: CInt
        switch FileIO.openFile(path, O_RDONLY) {
        case .success(let opened): fd = opened
        case .failure(.noSuchFileOrDirectory), .failure(.notDirectory):
            throw BasinError(.notFound, "object '\(name)' not found at \(path)", underlying: Errno.noSuchFileOrDirectory)
        case .failure(let error): throw FileIO.error(error, "open", object: name, path: path)
        }
        switch FileIO.status(fd) {
        case .success(let info) where FileIO.isRegularFile(info):
            return (fd, Int(info.st_size))
        case .success:
            FileIO.closeFile(fd)
            throw BasinError(.notFound, "object '\(name)' not found: \(path) is not a regular file")
        case .failure(let error):
            FileIO.closeFile(fd)
            throw FileIO.error(error, "stat", object: name, path: path)
        }
    }

    private func readBytes(_ fd: CInt, name: String, count: Int, offset: Int) throws(BasinError) -> [UInt8] {
        switch FileIO.readFully(fd, count: count, offset: offset) {
        case .success(let bytes): return bytes
        case .failure(let error): throw FileIO.error(error, "read", object: name, path: localPath(of: name))
        }
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
        visit: (String, stat) throws(BasinError) -> Void,
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
            let entries: [(name: String, type: FileIO.EntryType)]
            switch FileIO.directoryEntries(path) {
            case .success(let read): entries = read
            case .failure(.noSuchFileOrDirectory) where first, .failure(.notDirectory) where first:
                return
            case .failure(.noSuchFileOrDirectory):
                continue  // removed while we walked
            case .failure(let error):
                throw FileIO.error(error, "list", object: relative, path: path)
            }
            first = false
            for entry in entries {
                if !includeTemporaries && entry.name.hasPrefix(ObjectName.temporaryPrefix) { continue }
                let child = relative.isEmpty ? entry.name : relative + "/" + entry.name
                if entry.type == .directory {
                    if enter(child) { pending.append(child) }
                    continue
                }
                // Files need a stat for their size; links and unknown types need it to tell.
                let info: stat
                switch FileIO.status(localPath(of: child)) {
                case .success(let read): info = read
                case .failure(.noSuchFileOrDirectory): continue  // removed while we walked
                case .failure(let error): throw FileIO.error(error, "stat", object: child, path: localPath(of: child))
                }
                if FileIO.isRegularFile(info) {
                    try visit(child, info)
                } else if FileIO.isDirectory(info), enter(child) {
                    pending.append(child)
                }
            }
        }
    }
}
