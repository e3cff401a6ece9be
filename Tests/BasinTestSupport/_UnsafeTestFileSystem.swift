// File-system calls for tests, on paths as raw bytes (names need not be UTF-8). Written
// independently of the restore code under test, so a mistake there cannot hide itself.
// Each function keeps its pointers inside one `withUnsafe*` scope.

import BasinCore
import CLinuxSys
import Glibc

/// What `lstat` reports, in the terms of a tree entry.
public struct FileStatus: Equatable, Sendable {
    public var type: TreeEntry.EntryType
    /// Permission and set-id/sticky bits.
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var size: UInt64
    public var inode: UInt64
    public var device: UInt64
    public var linkCount: UInt64
    public var deviceNumber: UInt64
    public var modificationTime: TreeEntry.Timestamp
    public var changeTime: TreeEntry.Timestamp
}

/// An error of a system call made by test support, naming the path.
public struct TestFileSystemError: Error, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32
    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

public enum TestFileSystem {
    /// `a/b` joined with `c`: bytes, so any name can be joined.
    public static func join(_ base: [UInt8], _ name: [UInt8]) -> [UInt8] {
        base.isEmpty ? name : (base.last == UInt8(ascii: "/") ? base + name : base + [UInt8(ascii: "/")] + name)
    }

    static func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        let terminated = bytes + [0]
        return terminated.withUnsafeBufferPointer { buffer in
            // SAFETY: NUL-terminated, alive for the closure; CChar and UInt8 share size and alignment.
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0) }
        }
    }

    private static func check(_ result: CInt, _ operation: String, _ path: [UInt8]) throws(TestFileSystemError) {
        if result != 0 { throw TestFileSystemError(operation: operation, path: Tree.display(path), code: errno) }
    }

    // MARK: - Reading

    /// `lstat`, or nil when nothing has that name.
    public static func status(_ path: [UInt8]) throws(TestFileSystemError) -> FileStatus? {
        var info = stat()
        if withCString(path, { lstat($0, &info) }) != 0 {
            if errno == ENOENT { return nil }
            throw TestFileSystemError(operation: "lstat", path: Tree.display(path), code: errno)
        }
        let type: TreeEntry.EntryType = switch info.st_mode & S_IFMT {
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        case S_IFIFO: .fifo
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFSOCK: .socket
        default: .file
        }
        return FileStatus(type: type, mode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid,
                          size: UInt64(info.st_size), inode: UInt64(info.st_ino), device: UInt64(info.st_dev),
                          linkCount: UInt64(info.st_nlink), deviceNumber: UInt64(info.st_rdev),
                          modificationTime: .init(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: UInt32(info.st_mtim.tv_nsec)),
                          changeTime: .init(seconds: Int64(info.st_ctim.tv_sec), nanoseconds: UInt32(info.st_ctim.tv_nsec)))
    }

    /// The names in a directory (not `.` and `..`), sorted by bytes.
    public static func names(in path: [UInt8]) throws(TestFileSystemError) -> [[UInt8]] {
        guard let directory = withCString(path, { opendir($0) }) else {
            throw TestFileSystemError(operation: "opendir", path: Tree.display(path), code: errno)
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            // SAFETY: d_name is a NUL-terminated array inside the dirent readdir returned,
            // valid until the next readdir on this stream.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name != [0x2E], name != [0x2E, 0x2E] { names.append(name) }
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    public static func linkTarget(_ path: [UInt8]) throws(TestFileSystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { raw in
            // SAFETY: readlink writes at most raw.count bytes into the buffer.
            withCString(path) { readlink($0, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count) }
        }
        guard count >= 0 else { throw TestFileSystemError(operation: "readlink", path: Tree.display(path), code: errno) }
        return Array(buffer.prefix(count))
    }

    /// Extended attributes (not following a symlink), sorted by name.
    public static func extendedAttributes(_ path: [UInt8]) throws(TestFileSystemError) -> [TreeEntry.ExtendedAttribute] {
        var names = [UInt8](repeating: 0, count: 65_536)
        let length = names.withUnsafeMutableBytes { raw in
            // SAFETY: llistxattr writes at most raw.count bytes.
            withCString(path) { llistxattr($0, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count) }
        }
        if length < 0 {
            if errno == ENOTSUP { return [] }
            throw TestFileSystemError(operation: "llistxattr", path: Tree.display(path), code: errno)
        }
        var attributes: [TreeEntry.ExtendedAttribute] = []
        for name in names.prefix(length).split(separator: 0).map({ Array($0) }) {
            var value = [UInt8](repeating: 0, count: 65_536)
            let size = value.withUnsafeMutableBytes { raw in
                // SAFETY: lgetxattr writes at most raw.count bytes.
                withCString(path) { path in withCString(name) { lgetxattr(path, $0, raw.baseAddress, raw.count) } }
            }
            guard size >= 0 else { throw TestFileSystemError(operation: "lgetxattr", path: Tree.display(path), code: errno) }
            attributes.append(.init(name: name, value: Array(value.prefix(size))))
        }
        return attributes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// Reads a file block by block, calling `body` with each block; memory stays at one block.
    public static func readFile(_ path: [UInt8], blockSize: Int = 1 << 20, _ body: ([UInt8]) throws -> Void) throws {
        let fd = withCString(path) { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        guard fd >= 0 else { throw TestFileSystemError(operation: "open", path: Tree.display(path), code: errno) }
        defer { close(fd) }
        while true {
            var failure: Int32 = 0
            let block = [UInt8](unsafeUninitializedCapacity: blockSize) { buffer, initialized in
                // SAFETY: read writes at most blockSize bytes into the new buffer.
                let count = read(fd, buffer.baseAddress, blockSize)
                if count < 0 { failure = errno }
                initialized = max(0, count)
            }
            if failure != 0 { throw TestFileSystemError(operation: "read", path: Tree.display(path), code: failure) }
            if block.isEmpty { return }
            try body(block)
        }
    }

    public static func readFile(_ path: [UInt8]) throws -> [UInt8] {
        var content: [UInt8] = []
        try readFile(path) { content += $0 }
        return content
    }

    /// Every path below `root` (not `root` itself), relative to it, parents before children.
    public static func paths(below root: [UInt8]) throws(TestFileSystemError) -> [[UInt8]] {
        var found: [[UInt8]] = []
        func visit(_ relative: [UInt8]) throws(TestFileSystemError) {
            let full = relative.isEmpty ? root : join(root, relative)
            for name in try names(in: full) {
                let child = join(relative, name)
                found.append(child)
                if try status(join(root, child))?.type == .directory { try visit(child) }
            }
        }
        try visit([])
        return found
    }

    // MARK: - Creating

    public static func makeDirectory(_ path: [UInt8], mode: UInt32 = 0o755) throws(TestFileSystemError) {
        try check(withCString(path) { mkdir($0, mode_t(mode)) }, "mkdir", path)
    }

    /// Creates (or truncates) a file holding `content`.
    public static func writeFile(_ path: [UInt8], _ content: [UInt8], mode: UInt32 = 0o644) throws(TestFileSystemError) {
        let fd = withCString(path) { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode_t(mode)) }
        guard fd >= 0 else { throw TestFileSystemError(operation: "open", path: Tree.display(path), code: errno) }
        defer { close(fd) }
        var done = 0
        while done < content.count {
            let count = content.withUnsafeBytes { raw in
                // SAFETY: done < raw.count, so the range written lies inside the buffer.
                write(fd, raw.baseAddress! + done, raw.count - done)
            }
            guard count > 0 else { throw TestFileSystemError(operation: "write", path: Tree.display(path), code: errno) }
            done += count
        }
    }

    /// Overwrites one byte of an open file in place (to damage a file behind a reader's back).
    public static func overwriteByte(_ fd: Int32, at offset: Int64, with byte: UInt8) {
        var value = byte
        // SAFETY: pwrite reads the one byte of `value`, alive for the call.
        _ = pwrite(fd, &value, 1, off_t(offset))
    }

    public static func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(TestFileSystemError) {
        try check(withCString(target) { target in withCString(path) { symlink(target, $0) } }, "symlink", path)
    }

    public static func makeHardLink(_ path: [UInt8], to existing: [UInt8]) throws(TestFileSystemError) {
        try check(withCString(existing) { existing in withCString(path) { link(existing, $0) } }, "link", path)
    }

    public static func makeFifo(_ path: [UInt8], mode: UInt32 = 0o644) throws(TestFileSystemError) {
        try check(withCString(path) { mkfifo($0, mode_t(mode)) }, "mkfifo", path)
    }

    /// A character device (root only); `number` is the raw `st_rdev`.
    public static func makeCharacterDevice(_ path: [UInt8], number: UInt64, mode: UInt32 = 0o600) throws(TestFileSystemError) {
        try check(withCString(path) { mknod($0, S_IFCHR | mode_t(mode), dev_t(number)) }, "mknod", path)
    }

    public static func changeOwner(_ path: [UInt8], uid: UInt32, gid: UInt32) throws(TestFileSystemError) {
        try check(withCString(path) { lchown($0, uid, gid) }, "lchown", path)
    }

    public static func changeMode(_ path: [UInt8], _ mode: UInt32) throws(TestFileSystemError) {
        try check(withCString(path) { chmod($0, mode_t(mode)) }, "chmod", path)
    }

    /// Sets access and modification times, not following a symlink.
    public static func setTimes(_ path: [UInt8], _ time: TreeEntry.Timestamp) throws(TestFileSystemError) {
        let spec = timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds))
        let times = [spec, spec]
        let result = times.withUnsafeBufferPointer { buffer in
            // SAFETY: utimensat reads the two timespecs of the live buffer.
            withCString(path) { utimensat(AT_FDCWD, $0, buffer.baseAddress, AT_SYMLINK_NOFOLLOW) }
        }
        try check(result, "utimensat", path)
    }

    public static func setExtendedAttribute(_ path: [UInt8], name: [UInt8], value: [UInt8]) throws(TestFileSystemError) {
        let result = value.withUnsafeBytes { raw in
            // SAFETY: lsetxattr reads raw.count bytes of the live buffer.
            withCString(path) { path in withCString(name) { lsetxattr(path, $0, raw.baseAddress, raw.count, 0) } }
        }
        try check(result, "lsetxattr", path)
    }

    /// Removes `path` and everything below it (making directories writable first).
    public static func removeTree(_ path: [UInt8]) throws(TestFileSystemError) {
        guard let status = try status(path) else { return }
        if status.type == .directory {
            try changeMode(path, 0o700)
            for name in try names(in: path) { try removeTree(join(path, name)) }
            try check(withCString(path) { rmdir($0) }, "rmdir", path)
        } else {
            try check(withCString(path) { unlink($0) }, "unlink", path)
        }
    }

    public static var isRoot: Bool { geteuid() == 0 }
}
