// The system calls restore and dump make, with names as raw bytes (a name in a snapshot need
// not be UTF-8). Every call that creates or changes something works relative to an open
// directory (`*at` calls with O_NOFOLLOW or AT_SYMLINK_NOFOLLOW), so a symlink planted inside
// the target cannot redirect a write outside it. Each function keeps its pointers inside one
// `withUnsafe*` scope; failures come back as the errno, and callers decide what they mean.

import CLinuxSys
import Glibc
import BasinCore
import SystemPackage

enum SystemCalls {
    /// What `lstat` says about a name.
    struct Status {
        let isDirectory: Bool
        let isRegularFile: Bool
        let inode: UInt64
        let device: UInt64
        let size: Int64
    }

    /// Calls `body` with `bytes` as a NUL-terminated C string.
    static func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        let terminated = bytes + [0]
        return terminated.withUnsafeBufferPointer { buffer in
            // SAFETY: `terminated` ends with NUL and lives for the whole closure; CChar and
            // UInt8 have the same size and alignment.
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
        }
    }

    /// Retries `call` while it fails with EINTR; nil on success, else the errno.
    private static func retrying(_ call: () -> CInt) -> Errno? {
        while true {
            if call() >= 0 { return nil }
            if errno != EINTR { return Errno(rawValue: errno) }
        }
    }

    // MARK: - Inspecting

    /// `fstatat(directory, name, AT_SYMLINK_NOFOLLOW)`; `.success(nil)` when there is no such name.
    static func status(in directory: CInt, _ name: [UInt8]) -> Result<Status?, Errno> {
        var info = stat()
        let result = withCString(name) { fstatat(directory, $0, &info, AT_SYMLINK_NOFOLLOW) }
        if result != 0 {
            return errno == ENOENT ? .success(nil) : .failure(Errno(rawValue: errno))
        }
        let type = info.st_mode & S_IFMT
        return .success(Status(isDirectory: type == S_IFDIR, isRegularFile: type == S_IFREG, inode: UInt64(info.st_ino),
                               device: UInt64(info.st_dev), size: Int64(info.st_size)))
    }

    // MARK: - Creating

    static func openDirectory(in directory: CInt, _ name: [UInt8]) -> Result<CInt, Errno> {
        openFlags(in: directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, mode: 0)
    }

    /// Opens an existing directory by path (following symlinks: the target given by the user).
    static func openDirectory(path: [UInt8]) -> Result<CInt, Errno> {
        openFlags(in: AT_FDCWD, path, O_RDONLY | O_DIRECTORY, mode: 0)
    }

    /// Creates a new regular file, readable and writable by its owner only until restore
    /// applies its mode; fails if the name exists (never follows or replaces anything).
    static func createFile(in directory: CInt, _ name: [UInt8]) -> Result<CInt, Errno> {
        openFlags(in: directory, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
    }

    private static func openFlags(in directory: CInt, _ name: [UInt8], _ flags: CInt, mode: mode_t) -> Result<CInt, Errno> {
        while true {
            let fd = withCString(name) { openat(directory, $0, flags | O_CLOEXEC, mode) }
            if fd >= 0 { return .success(fd) }
            if errno != EINTR { return .failure(Errno(rawValue: errno)) }
        }
    }

    static func makeDirectory(in directory: CInt, _ name: [UInt8], mode: mode_t) -> Errno? {
        retrying { withCString(name) { mkdirat(directory, $0, mode) } }
    }

    static func makeSymlink(in directory: CInt, _ name: [UInt8], target: [UInt8]) -> Errno? {
        retrying { withCString(target) { target in withCString(name) { symlinkat(target, directory, $0) } } }
    }

    /// A hard link `name` in `directory` to the existing `source` (relative to `sourceDirectory`).
    static func makeHardLink(from sourceDirectory: CInt, _ source: [UInt8], in directory: CInt, _ name: [UInt8]) -> Errno? {
        retrying { withCString(source) { source in withCString(name) { linkat(sourceDirectory, source, directory, $0, 0) } } }
    }

    static func makeFifo(in directory: CInt, _ name: [UInt8], mode: mode_t) -> Errno? {
        retrying { withCString(name) { mkfifoat(directory, $0, mode) } }
    }

    /// A device node; `type` is S_IFCHR or S_IFBLK, `number` the raw `st_rdev`.
    static func makeDevice(in directory: CInt, _ name: [UInt8], type: mode_t, mode: mode_t, number: UInt64) -> Errno? {
        retrying { withCString(name) { mknodat(directory, $0, type | mode, dev_t(number)) } }
    }

    static func remove(in directory: CInt, _ name: [UInt8], isDirectory: Bool) -> Errno? {
        retrying { withCString(name) { unlinkat(directory, $0, isDirectory ? AT_REMOVEDIR : 0) } }
    }

    // MARK: - Metadata

    static func changeOwner(_ fd: CInt, uid: UInt32, gid: UInt32) -> Errno? {
        retrying { fchown(fd, uid, gid) }
    }

    static func changeOwner(in directory: CInt, _ name: [UInt8], uid: UInt32, gid: UInt32) -> Errno? {
        retrying { withCString(name) { fchownat(directory, $0, uid, gid, AT_SYMLINK_NOFOLLOW) } }
    }

    static func changeMode(_ fd: CInt, _ mode: mode_t) -> Errno? {
        retrying { fchmod(fd, mode) }
    }

    /// Not for symlinks (Linux has no lchmod): callers use it on fifos and devices only.
    static func changeMode(in directory: CInt, _ name: [UInt8], _ mode: mode_t) -> Errno? {
        retrying { withCString(name) { fchmodat(directory, $0, mode, 0) } }
    }

    /// Sets access and modification time to `time` (the tree keeps no access time).
    static func setTimes(_ fd: CInt, _ time: TreeEntry.Timestamp) -> Errno? {
        let times = [timespec(time), timespec(time)]
        return retrying { times.withUnsafeBufferPointer { futimens(fd, $0.baseAddress) } }
    }

    /// Like `setTimes(_:_:)` on a name, without following a symlink.
    static func setTimes(in directory: CInt, _ name: [UInt8], _ time: TreeEntry.Timestamp) -> Errno? {
        let times = [timespec(time), timespec(time)]
        // SAFETY (both): `times` holds the two timespecs utimensat reads, alive for the call.
        return retrying {
            times.withUnsafeBufferPointer { buffer in withCString(name) { utimensat(directory, $0, buffer.baseAddress, AT_SYMLINK_NOFOLLOW) } }
        }
    }

    private static func timespec(_ time: TreeEntry.Timestamp) -> Glibc.timespec {
        Glibc.timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds))
    }

    static func setExtendedAttribute(_ fd: CInt, name: [UInt8], value: [UInt8]) -> Errno? {
        retrying {
            value.withUnsafeBytes { bytes in
                // SAFETY: fsetxattr reads `bytes.count` bytes from the buffer, alive for the call.
                withCString(name) { fsetxattr(fd, $0, bytes.baseAddress, bytes.count, 0) }
            }
        }
    }

    /// Sets an attribute by path without following a symlink (for entries that cannot be opened).
    static func setExtendedAttribute(path: [UInt8], name: [UInt8], value: [UInt8]) -> Errno? {
        retrying {
            value.withUnsafeBytes { bytes in
                // SAFETY: lsetxattr reads `bytes.count` bytes from the buffer, alive for the call.
                withCString(path) { path in withCString(name) { lsetxattr(path, $0, bytes.baseAddress, bytes.count, 0) } }
            }
        }
    }

    // MARK: - Content

    /// Writes all of `bytes` at `offset` (the file's own offset unchanged), looping on partial
    /// writes and EINTR: pieces of one file may be written from several tasks at once.
    static func writeAll(_ fd: CInt, _ bytes: ArraySlice<UInt8>, at offset: Int64) -> Errno? {
        bytes.withUnsafeBytes { buffer -> Errno? in
            // SAFETY: `done` only grows and stays ≤ buffer.count, so every pointer and count
            // passed to pwrite() lies inside the buffer.
            var done = 0
            while done < buffer.count {
                let n = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    return Errno(rawValue: errno)
                }
                done += n
            }
            return nil
        }
    }

    /// Writes `bytes` at file offset `offset`, skipping every whole block of zeros
    /// (`blockSize` bytes aligned in the file) so that it stays a hole in a new file. A hole at
    /// the end needs ``truncate(_:size:)`` to exist. Safe from several tasks at once.
    static func writeSparse(_ fd: CInt, _ bytes: [UInt8], at offset: Int64, blockSize: Int) -> Errno? {
        var start = 0
        while start < bytes.count {
            // Runs of whole zero blocks and of anything else, ending at block boundaries.
            var end = start
            var isHole = false
            while end < bytes.count {
                let boundary = Int((offset + Int64(end)) % Int64(blockSize))
                let blockEnd = min(bytes.count, end + blockSize - boundary)
                let zeroBlock = boundary == 0 && blockEnd - end == blockSize && bytes[end..<blockEnd].allSatisfy { $0 == 0 }
                if end > start && zeroBlock != isHole { break }
                isHole = zeroBlock
                end = blockEnd
            }
            if !isHole, let error = writeAll(fd, bytes[start..<end], at: offset + Int64(start)) {
                return error
            }
            start = end
        }
        return nil
    }

    /// Sets a file's size (a restored file ending in a hole gets its length so).
    static func truncate(_ fd: CInt, size: Int64) -> Errno? {
        retrying { ftruncate(fd, off_t(size)) }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    static func read(_ fd: CInt, count: Int, offset: Int64) -> Result<[UInt8], Errno> {
        var failure: CInt = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // SAFETY: pread() writes only into buffer[done..<count], inside the allocation;
            // `initialized` is the number of bytes written.
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        return failure == 0 ? .success(bytes) : .failure(Errno(rawValue: failure))
    }

    /// Raises the soft limit on open files to the hard one (as Go's runtime does for restic)
    /// and returns the soft limit in force.
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(CInt(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(CInt(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    static func close(_ fd: CInt) {
        _ = Glibc.close(fd)
    }

    static var isRoot: Bool { geteuid() == 0 }
}
