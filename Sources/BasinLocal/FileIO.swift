import BasinBackend
import SystemPackage

import Glibc

/// Thin wrappers over the POSIX calls of the local backend, each returning the errno rather
/// than throwing, so the backend decides what each failure means for the object concerned.
enum FileIO {
    /// What a directory entry is, as far as `readdir` can tell without a `stat`.
    enum EntryType { case directory, file, unknown, other }

    /// Opens `path`, retrying on EINTR; new files get mode 0600: a basin's key files, config
    /// and strata are for its owner alone (a readable key file invites an offline guess of the
    /// password), as restic's are.
    static func openFile(_ path: String, _ flags: CInt) -> Result<CInt, Errno> {
        while true {
            let fd = open(path, flags | O_CLOEXEC, 0o600)
            if fd >= 0 { return .success(fd) }
            if errno != EINTR { return .failure(Errno(rawValue: errno)) }
        }
    }

    /// Closes `fd` once (never retried: Linux frees the descriptor even when close fails).
    @discardableResult
    static func closeFile(_ fd: CInt) -> Errno? {
        close(fd) == 0 ? nil : Errno(rawValue: errno)
    }

    /// Flushes `fd` to stable storage. Only EINTR is retried: after any other failure the
    /// kernel may have dropped the dirty pages, so a retry could report a false success.
    static func syncFile(_ fd: CInt) -> Errno? {
        while true {
            if fsync(fd) == 0 { return nil }
            if errno != EINTR { return Errno(rawValue: errno) }
        }
    }

    /// Flushes a directory's entries (names created, renamed or removed in it).
    static func syncDirectory(_ path: String) -> Errno? {
        let fd: CInt
        switch openFile(path, O_RDONLY | O_DIRECTORY) {
        case .success(let opened): fd = opened
        case .failure(let error): return error
        }
        defer { closeFile(fd) }
        return syncFile(fd)
    }

    /// `stat` of `path`, following symbolic links (a lane directory may be a link to another disk).
    static func status(_ path: String) -> Result<stat, Errno> {
        var info = stat()
        return stat(path, &info) == 0 ? .success(info) : .failure(Errno(rawValue: errno))
    }

    /// `fstat` of an open file.
    static func status(_ fd: CInt) -> Result<stat, Errno> {
        var info = stat()
        return fstat(fd, &info) == 0 ? .success(info) : .failure(Errno(rawValue: errno))
    }

    /// The modification time of a file, in whole seconds since the epoch.
    static func modificationTime(_ info: stat) -> Int {
        Int(info.st_mtim.tv_sec)
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
    static func isRegularFile(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }

    /// Creates directory `base/components…` and any missing parent below `base`, fsyncing the
    /// parent of each directory it creates so the new entry survives a crash. New directories
    /// get mode 0700, for the owner alone (see ``openFile(_:_:)``).
    ///
    /// - Returns: nil on success; `ENOTDIR` when a component exists and is not a directory.
    static func makeDirectories(_ base: String, _ components: some Collection<Substring>) -> Errno? {
        var path = base
        for component in components {
            let parent = path.isEmpty ? "/" : path
            path += "/" + component
            if mkdir(path, 0o700) == 0 {
                if let error = syncDirectory(parent) { return error }
                continue
            }
            let error = errno
            guard error == EEXIST else { return Errno(rawValue: error) }
            switch status(path) {
            case .success(let info) where isDirectory(info):
                // Another writer made it a moment ago and may not have synced its parent yet;
                // an object must not be reported durable under a directory entry that is not.
                if let error = syncDirectory(parent) { return error }
            case .success: return .notDirectory
            case .failure(let error): return error
            }
        }
        return nil
    }

    /// Renames `source` to `target` unless `target` exists (EEXIST then), atomically.
    ///
    /// Uses `renameat2(RENAME_NOREPLACE)`; where the kernel or file system lacks it, `link`
    /// then `unlink`, which publishes just as atomically and also fails with EEXIST.
    static func renameNoReplace(_ source: String, _ target: String) -> Errno? {
        if let renameat2 = renameat2Function {
            let renameNoReplace: CUnsignedInt = 1  // RENAME_NOREPLACE, <linux/fs.h>
            if renameat2(AT_FDCWD, source, AT_FDCWD, target, renameNoReplace) == 0 { return nil }
            let error = errno
            // EINVAL/ENOSYS/EOPNOTSUPP: this kernel or file system has no RENAME_NOREPLACE.
            guard error == EINVAL || error == ENOSYS || error == EOPNOTSUPP else {
                return Errno(rawValue: error)
            }
        }
        return linkThenUnlink(source, target)
    }

    /// The fallback of ``renameNoReplace(_:_:)``: `link` (which never replaces, EEXIST) then
    /// `unlink` of the source.
    static func linkThenUnlink(_ source: String, _ target: String) -> Errno? {
        if link(source, target) != 0 { return Errno(rawValue: errno) }
        // The object is published; a temporary name left behind by a failed unlink is only a
        // second link to it, ignored by list and removed by removeStaleTemporaries().
        _ = unlink(source)
        return nil
    }

    /// Removes a file.
    static func removeFile(_ path: String) -> Errno? {
        if unlink(path) == 0 { return nil }
        return Errno(rawValue: errno)
    }
}

extension FileIO {
    /// The store's error for a failed system call on object `name`.
    ///
    /// ENOSPC/EDQUOT are `.noSpace`; EEXIST `.alreadyExists`; ENOENT `.notFound`; ENAMETOOLONG
    /// and ENOTDIR (a name below a file) `.invalidArgument`; shortages that pass (EAGAIN,
    /// ENOMEM, too many open files…) `.unavailable`; anything else, EIO included,
    /// `.internalError`. The message names the object and the path; `underlying` is the
    /// `Errno`, whose text ``BasinError/description`` appends.
    static func error(_ cause: Errno, _ action: String, object name: String, path: String) -> BasinError {
        BasinError(code(for: cause), "cannot \(action) object '\(name)' at \(path)", underlying: cause)
    }

    /// The store's error code for an errno, as ``error(_:_:object:path:)`` maps it.
    static func code(for cause: Errno) -> BasinError.Code {
        switch cause {
        case .noSpace, .diskQuotaExceeded: .noSpace
        case .fileExists: .alreadyExists
        case .fileNameTooLong, .notDirectory: .invalidArgument
        case .noSuchFileOrDirectory: .notFound
        case .resourceTemporarilyUnavailable, .interrupted, .resourceBusy, .timedOut,
             .noMemory, .tooManyOpenFiles, .tooManyOpenFilesInSystem, .noBufferSpace:
            .unavailable
        default: .internalError
        }
    }
}
