import BasinBackend
import BasinSystem
import Synchronization
import SystemPackage

/// A new object of a ``LocalBackend`` being written: a temporary file `.tmp-<random>` in the
/// object's directory, published by `commit` with fsync, a no-replace rename and a directory
/// fsync. Any failure removes the temporary file; so does dropping an upload never committed.
final class LocalUpload: ObjectUpload {
    private enum State {
        case open(fd: FileDescriptor)
        case committed
        case aborted
        case failed
    }

    let name: String
    let path: String
    let temporaryPath: String
    let directoryPath: String
    private let state: Mutex<State>

    /// Temporary files of the uploads of this process not yet committed or discarded, so an
    /// interrupted process can remove them before it exits (``LocalBackend/removeTemporariesInFlight()``);
    /// once `closed`, no upload starts.
    static let inFlight = Mutex<(paths: Set<String>, closed: Bool)>(([], false))

    /// Creates and registers a temporary file, under the registry's lock so that closing it
    /// misses none; ECANCELED once it is closed.
    private static func createTemporary(_ path: String) -> Result<FileDescriptor, SystemError> {
        inFlight.withLock { registry in
            let bytes = Array(path.utf8)
            guard !registry.closed else { return .failure(SystemError("openat", path: bytes, errno: .canceled)) }
            let opened = Result { () throws(SystemError) in
                try FileDescriptor.currentDirectory.open(bytes, .writeOnly, options: [.create, .exclusiveCreate])
            }
            if case .success = opened { registry.paths.insert(path) }
            return opened
        }
    }

    /// Creates the temporary file, and the object's missing parent directories.
    ///
    /// - Throws: `.invalidArgument` when a parent of the object is a file; `.noSpace`,
    ///   `.unavailable` or `.internalError` from the file system, naming the object.
    init(backend: LocalBackend, name: String) throws(BasinError) {
        self.name = name
        path = backend.localPath(of: name)
        let segments = name.split(separator: "/")
        directoryPath = segments.count == 1 ? backend.directory : backend.localPath(of: segments.dropLast().joined(separator: "/"))
        var suffix = String(UInt64.random(in: .min ... .max), radix: 16)
        suffix = String(repeating: "0", count: 16 - suffix.count) + suffix
        temporaryPath = directoryPath + "/" + ObjectName.temporaryPrefix + suffix

        var opened = Self.createTemporary(temporaryPath)
        if case .failure(let error) = opened, error.errno == .noSuchFileOrDirectory {
            do throws(SystemError) {
                try LocalFiles.makeDirectories(backend.directory, segments.dropLast())
            } catch {
                if error.errno == .notDirectory { throw Self.parentIsAFile(name, path) }
                throw LocalFiles.error(error, "create the directory of", object: name, path: directoryPath)
            }
            opened = Self.createTemporary(temporaryPath)
        }
        switch opened {
        case .success(let fd): state = Mutex(.open(fd: fd))
        case .failure(let error) where error.errno == .notDirectory: throw Self.parentIsAFile(name, path)
        case .failure(let error): throw LocalFiles.error(error, "create a temporary file for", object: name, path: temporaryPath)
        }
    }

    deinit {
        state.withLock { state in
            if case .open(let fd) = state { discard(fd) }
        }
    }

    func append(_ bytes: [UInt8]) async throws(BasinError) {
        try await BlockingIO.run { () throws(BasinError) in try self.appendNow(bytes) }
    }

    func commit() async throws(BasinError) {
        try await BlockingIO.run { () throws(BasinError) in try self.commitNow() }
    }

    func abort() async {
        state.withLock { state in
            guard case .open(let fd) = state else { return }
            discard(fd)
            state = .aborted
        }
    }

    /// Writes `bytes` at the end of the temporary file, on the calling thread.
    ///
    /// - Throws: `.noSpace` (and the temporary file is gone), `.internalError`; `.invalidArgument`
    ///   when the upload is no longer open.
    func appendNow(_ bytes: [UInt8]) throws(BasinError) {
        try state.withLock { (state) throws(BasinError) in
            let fd = try openDescriptor(state)
            do throws(SystemError) {
                try fd.write(bytes)
            } catch {
                discard(fd)
                state = .failed
                throw LocalFiles.error(error, "write", object: name, path: temporaryPath)
            }
        }
    }

    /// Publishes the object durably, on the calling thread: fsync the file, rename it to its
    /// name without replacing anything, fsync the directory.
    ///
    /// - Throws: `.alreadyExists` when the name is taken (the temporary file is removed); any
    ///   failure to sync or rename, never retried. A failure of the final directory fsync
    ///   leaves the object visible but not known to be durable.
    func commitNow() throws(BasinError) {
        try state.withLock { (state) throws(BasinError) in
            let fd = try openDescriptor(state)
            let cwd = FileDescriptor.currentDirectory
            do throws(SystemError) {
                try fd.sync()
            } catch {
                discard(fd)
                state = .failed
                throw LocalFiles.error(error, "fsync", object: name, path: temporaryPath)
            }
            do throws(SystemError) {
                try fd.closeOnce()
            } catch {
                try? cwd.remove(Array(temporaryPath.utf8))
                state = .failed
                throw LocalFiles.error(error, "close", object: name, path: temporaryPath)
            }
            let renamed = Result { () throws(SystemError) in
                try cwd.renameNoReplace(Array(temporaryPath.utf8), to: Array(path.utf8))
            }
            Self.inFlight.withLock { _ = $0.paths.remove(temporaryPath) }
            if case .failure(let error) = renamed {
                try? cwd.remove(Array(temporaryPath.utf8))
                state = .failed
                if error.errno == .fileExists {
                    throw BasinError(.alreadyExists, "object '\(name)' already exists at \(path)", underlying: error.errno)
                }
                throw LocalFiles.error(error, "publish", object: name, path: path)
            }
            state = .committed
            do throws(SystemError) {
                try cwd.syncDirectory(Array(directoryPath.utf8))
            } catch {
                throw LocalFiles.error(error, "fsync the directory of", object: name, path: directoryPath)
            }
        }
    }

    private static func parentIsAFile(_ name: String, _ path: String) -> BasinError {
        BasinError(.invalidArgument, "cannot write object '\(name)': a parent of \(path) is a file, not a directory",
                   underlying: Errno.notDirectory)
    }

    private func openDescriptor(_ state: State) throws(BasinError) -> FileDescriptor {
        switch state {
        case .open(let fd): return fd
        case .committed: throw BasinError(.invalidArgument, "upload of object '\(name)' is already committed")
        case .aborted: throw BasinError(.invalidArgument, "upload of object '\(name)' was aborted")
        case .failed: throw BasinError(.invalidArgument, "upload of object '\(name)' has failed")
        }
    }

    private func discard(_ fd: FileDescriptor) {
        try? fd.closeOnce()
        try? FileDescriptor.currentDirectory.remove(Array(temporaryPath.utf8))
        Self.inFlight.withLock { _ = $0.paths.remove(temporaryPath) }
    }
}
