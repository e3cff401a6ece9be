// Calls on a name inside an open directory: the `*at` family. Names are bytes (a name in a
// snapshot need not be UTF-8). Restore and backup pass the directory they hold open, so deep
// trees never build long paths and a symlink planted in a tree cannot redirect a call
// (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW); a caller with a path passes `.currentDirectory`.
// Every pointer is a C string from `withCString`, alive for the one call it is given to.

import CLinuxSys
import Glibc
import SystemPackage

extension FileDescriptor {
    /// The working directory (`AT_FDCWD`): the `*at` calls on it take a path.
    public static var currentDirectory: FileDescriptor { FileDescriptor(rawValue: AT_FDCWD) }

    /// O_NOATIME (Linux, every architecture), which Glibc's module leaves out (it needs
    /// `_GNU_SOURCE`): reading a file for a backup does not change its access time.
    public static var noAccessTime: OpenOptions { OpenOptions(rawValue: 0o1000000) }

    // MARK: - Opening and inspecting

    /// `openat(self, name, mode | options | O_CLOEXEC, permissions)`.
    ///
    /// - Parameter permissions: the mode of a file created (`.create`); new files default to
    ///   0600, for their owner alone.
    public func open(_ name: [UInt8], _ mode: AccessMode, options: OpenOptions = [],
                     permissions: FilePermissions = .ownerReadWrite) throws(SystemError) -> FileDescriptor {
        let flags = mode.rawValue | options.rawValue | O_CLOEXEC
        let fd = try systemCall("openat", name) { withCString(name) { openat(rawValue, $0, flags, permissions.rawValue) } }
        return FileDescriptor(rawValue: fd)
    }

    /// `fstatat(self, name)`: what `name` is, not following a symlink unless asked (a lane
    /// directory may be a symlink to another disk).
    public func status(of name: [UInt8], followingSymlink: Bool = false) throws(SystemError) -> Stat {
        var info = Glibc.stat()
        let flags = followingSymlink ? 0 : AT_SYMLINK_NOFOLLOW
        _ = try systemCall("fstatat", name) { withCString(name) { fstatat(rawValue, $0, &info, flags) } }
        return Stat(rawValue: info)
    }

    /// `fstat`: what this open file is.
    public func status() throws(SystemError) -> Stat {
        var info = Glibc.stat()
        _ = try systemCall("fstat") { fstat(rawValue, &info) }
        return Stat(rawValue: info)
    }

    /// The target of symlink `name`, however long.
    /// - Parameter sizeHint: its expected length (`st_size` of the link).
    public func readLink(_ name: [UInt8], sizeHint: Int = 0) throws(SystemError) -> [UInt8] {
        var capacity = max(sizeHint + 1, 256)
        while true {
            var failure: SystemError?
            let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                // SAFETY: readlinkat writes at most `capacity` bytes into the new buffer and
                // returns how many it wrote, which `initialized` records.
                do throws(SystemError) {
                    initialized = try systemCall("readlinkat", name) {
                        withCString(name) { readlinkat(rawValue, $0, UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), capacity) }
                    }
                } catch {
                    failure = error
                    initialized = 0
                }
            }
            if let failure { throw failure }
            if bytes.count < capacity { return bytes }
            capacity *= 2  // possibly cut short: try again with more room
        }
    }

    // MARK: - Creating and removing

    public func makeDirectory(_ name: [UInt8], permissions: FilePermissions) throws(SystemError) {
        _ = try systemCall("mkdirat", name) { withCString(name) { mkdirat(rawValue, $0, permissions.rawValue) } }
    }

    public func makeSymlink(_ name: [UInt8], target: [UInt8]) throws(SystemError) {
        _ = try systemCall("symlinkat", name) {
            withCString(target) { target in withCString(name) { symlinkat(target, rawValue, $0) } }
        }
    }

    /// A hard link `name` in this directory to the existing `source` in `sourceDirectory`.
    public func makeHardLink(_ name: [UInt8], to source: [UInt8], in sourceDirectory: FileDescriptor) throws(SystemError) {
        _ = try systemCall("linkat", name) {
            withCString(source) { source in withCString(name) { linkat(sourceDirectory.rawValue, source, rawValue, $0, 0) } }
        }
    }

    public func makeFifo(_ name: [UInt8], permissions: FilePermissions) throws(SystemError) {
        _ = try systemCall("mkfifoat", name) { withCString(name) { mkfifoat(rawValue, $0, permissions.rawValue) } }
    }

    /// A device node; `type` is `.characterSpecial` or `.blockSpecial`, `number` the raw `st_rdev`.
    public func makeDevice(_ name: [UInt8], type: FileType, permissions: FilePermissions, number: UInt64) throws(SystemError) {
        _ = try systemCall("mknodat", name) {
            withCString(name) { mknodat(rawValue, $0, type.rawValue | permissions.rawValue, dev_t(number)) }
        }
    }

    /// Removes `name`: a file (`unlinkat`) or an empty directory (`AT_REMOVEDIR`).
    public func remove(_ name: [UInt8], isDirectory: Bool = false) throws(SystemError) {
        _ = try systemCall("unlinkat", name) { withCString(name) { unlinkat(rawValue, $0, isDirectory ? AT_REMOVEDIR : 0) } }
    }

    /// Renames `source` to `target` (both in this directory), replacing what `target` names.
    public func rename(_ source: [UInt8], to target: [UInt8]) throws(SystemError) {
        _ = try systemCall("renameat", target) {
            withCString(source) { source in withCString(target) { renameat(rawValue, source, rawValue, $0) } }
        }
    }

    /// Renames `source` to `target` (both in this directory) unless `target` exists (EEXIST
    /// then), atomically.
    ///
    /// Uses `renameat2(RENAME_NOREPLACE)`; where the kernel or file system lacks it, `linkat`
    /// then `unlinkat`, which publishes just as atomically and also fails with EEXIST. A source
    /// name left behind by a failed unlink is only a second link to the target.
    public func renameNoReplace(_ source: [UInt8], to target: [UInt8]) throws(SystemError) {
        if let renameat2 = renameat2Function {
            let renameNoReplace: CUnsignedInt = 1  // RENAME_NOREPLACE, <linux/fs.h>
            do throws(SystemError) {
                _ = try systemCall("renameat2", target) {
                    withCString(source) { source in withCString(target) { renameat2(rawValue, source, rawValue, $0, renameNoReplace) } }
                }
                return
            } catch {
                // EINVAL/ENOSYS/EOPNOTSUPP: this kernel or file system has no RENAME_NOREPLACE.
                guard [.invalidArgument, .noFunction, .notSupported].contains(error.errno) else { throw error }
            }
        }
        try linkThenRemove(source, to: target)
    }

    /// The fallback of ``renameNoReplace(_:to:)``: `linkat` (which never replaces: EEXIST)
    /// then `unlinkat` of the source, whose failure is ignored: the object is published, and a
    /// temporary name left behind is only a second link to it.
    package func linkThenRemove(_ source: [UInt8], to target: [UInt8]) throws(SystemError) {
        try makeHardLink(target, to: source, in: self)
        try? remove(source)
    }

    // MARK: - Metadata by name (never following a symlink)

    public func changeOwner(of name: [UInt8], uid: UInt32, gid: UInt32) throws(SystemError) {
        _ = try systemCall("fchownat", name) { withCString(name) { fchownat(rawValue, $0, uid, gid, AT_SYMLINK_NOFOLLOW) } }
    }

    /// Not for symlinks (Linux has no lchmod): for fifos and devices.
    public func changeMode(of name: [UInt8], permissions: FilePermissions) throws(SystemError) {
        _ = try systemCall("fchmodat", name) { withCString(name) { fchmodat(rawValue, $0, permissions.rawValue, 0) } }
    }

    /// Sets access and modification time of `name` to `time`.
    public func setTimes(of name: [UInt8], _ time: timespec) throws(SystemError) {
        let times = [time, time]
        _ = try systemCall("utimensat", name) {
            // SAFETY: `times` holds the two timespecs utimensat reads, alive for the call.
            times.withUnsafeBufferPointer { buffer in withCString(name) { utimensat(rawValue, $0, buffer.baseAddress, AT_SYMLINK_NOFOLLOW) } }
        }
    }
}

typealias Renameat2Function = @convention(c) (
    CInt, UnsafePointer<CChar>?, CInt, UnsafePointer<CChar>?, CUnsignedInt
) -> CInt

/// glibc's `renameat2`, which Swift's Glibc module does not import (it is declared only under
/// `_GNU_SOURCE`); looked up once, nil when the C library lacks it.
let renameat2Function: Renameat2Function? = {
    // SAFETY: dlsym(RTLD_DEFAULT = NULL, …) returns the address of glibc's
    // `int renameat2(int, const char *, int, const char *, unsigned int)`, whose C signature
    // matches `Renameat2Function` exactly.
    guard let symbol = dlsym(nil, "renameat2") else { return nil }
    return unsafeBitCast(symbol, to: Renameat2Function.self)
}()

extension FileDescriptor {
    /// Flushes the entries of directory `name` (names created, renamed or removed in it).
    public func syncDirectory(_ name: [UInt8]) throws(SystemError) {
        let directory = try open(name, .readOnly, options: .directory)
        defer { try? directory.closeOnce() }
        do throws(SystemError) {
            try directory.sync()
        } catch {
            throw SystemError(error.call, path: name, errno: error.errno)
        }
    }
}
