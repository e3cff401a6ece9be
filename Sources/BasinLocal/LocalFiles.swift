import BasinBackend
import BasinSystem
import SystemPackage

/// What the local backend adds to ``BasinSystem``: directories made durably for objects, and
/// the store's meaning of a failed system call.
enum LocalFiles {
    /// Creates directory `base/components…` and any missing parent below `base`, fsyncing the
    /// parent of each directory it creates so the new entry survives a crash. New directories
    /// get mode 0700, and files 0600 (``BasinSystem``'s default): a basin's key files, config
    /// and strata are for its owner alone (a readable key file invites an offline guess of the
    /// password), as restic's are.
    ///
    /// - Throws: ``SystemError``; ENOTDIR when a component exists and is not a directory.
    static func makeDirectories(_ base: String, _ components: some Collection<Substring>) throws(SystemError) {
        let cwd = FileDescriptor.currentDirectory
        var path = base
        for component in components {
            let parent = Array((path.isEmpty ? "/" : path).utf8)
            path += "/" + component
            let bytes = Array(path.utf8)
            do throws(SystemError) {
                try cwd.makeDirectory(bytes, permissions: .ownerReadWriteExecute)
            } catch where error.errno == .fileExists {
                // Another writer made it a moment ago and may not have synced its parent yet;
                // an object must not be reported durable under a directory entry that is not.
                guard try cwd.status(of: bytes, followingSymlink: true).type == .directory else {
                    throw SystemError("mkdirat", path: bytes, errno: .notDirectory)
                }
            }
            try cwd.syncDirectory(parent)
        }
    }

    /// The store's error for a failed system call on object `name`.
    ///
    /// ENOSPC/EDQUOT are `.noSpace`; EEXIST `.alreadyExists`; ENOENT `.notFound`; ENAMETOOLONG
    /// and ENOTDIR (a name below a file) `.invalidArgument`; shortages that pass (EAGAIN,
    /// ENOMEM, too many open files…) `.unavailable`; anything else, EIO included,
    /// `.internalError`. The message names the object and the path; `underlying` is the
    /// `Errno`, whose text ``BasinError/description`` appends.
    static func error(_ cause: SystemError, _ action: String, object name: String, path: String) -> BasinError {
        BasinError(code(for: cause.errno), "cannot \(action) object '\(name)' at \(path)", underlying: cause.errno)
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
