// File-system calls for tests, on paths as raw bytes (names need not be UTF-8), through
// BasinSystem like the code under test; what they check against comes from the tests' own
// expectations (the generator's tree, the bytes written), not from the restore code.

import BasinCore
import BasinSnapshots
import BasinSystem
import Glibc
import SystemPackage

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

public enum TestFileSystem {
    /// Paths are taken relative to the working directory (or absolute).
    private static var cwd: FileDescriptor { .currentDirectory }

    /// `a/b` joined with `c`: bytes, so any name can be joined.
    public static func join(_ base: [UInt8], _ name: [UInt8]) -> [UInt8] {
        base.isEmpty ? name : (base.last == UInt8(ascii: "/") ? base + name : base + [UInt8(ascii: "/")] + name)
    }

    // MARK: - Reading

    /// `lstat`, or nil when nothing has that name.
    public static func status(_ path: [UInt8]) throws(SystemError) -> FileStatus? {
        let info: Stat
        do throws(SystemError) {
            info = try cwd.status(of: path)
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        }
        let raw = info.rawValue
        return FileStatus(type: TreeEntry.EntryType(info.type) ?? .file, mode: UInt32(raw.st_mode & 0o7777), uid: raw.st_uid, gid: raw.st_gid,
                          size: UInt64(raw.st_size), inode: UInt64(raw.st_ino), device: UInt64(raw.st_dev),
                          linkCount: UInt64(raw.st_nlink), deviceNumber: UInt64(raw.st_rdev),
                          modificationTime: .init(seconds: Int64(raw.st_mtim.tv_sec), nanoseconds: UInt32(raw.st_mtim.tv_nsec)),
                          changeTime: .init(seconds: Int64(raw.st_ctim.tv_sec), nanoseconds: UInt32(raw.st_ctim.tv_nsec)))
    }

    /// The names in a directory (not `.` and `..`), sorted by bytes.
    public static func names(in path: [UInt8]) throws(SystemError) -> [[UInt8]] {
        try cwd.directoryEntries(of: path).map(\.name).sorted { $0.lexicographicallyPrecedes($1) }
    }

    public static func linkTarget(_ path: [UInt8]) throws(SystemError) -> [UInt8] {
        try cwd.readLink(path)
    }

    /// Extended attributes (not following a symlink), sorted by name; none where the file
    /// system has no support for them.
    public static func extendedAttributes(_ path: [UInt8]) throws(SystemError) -> [TreeEntry.ExtendedAttribute] {
        do throws(SystemError) {
            return try ExtendedAttributes.list(path: path).map { .init(name: $0.name, value: $0.value) }
        } catch where error.errno == .notSupported {
            return []
        }
    }

    /// Reads a file block by block, calling `body` with each block; memory stays at one block.
    public static func readFile(_ path: [UInt8], blockSize: Int = 1 << 20, _ body: ([UInt8]) throws -> Void) throws {
        let fd = try cwd.open(path, .readOnly, options: .noFollow)
        defer { try? fd.closeOnce() }
        var offset: Int64 = 0
        while true {
            let block = try fd.read(count: blockSize, at: offset)
            if block.isEmpty { return }
            try body(block)
            offset += Int64(block.count)
        }
    }

    public static func readFile(_ path: [UInt8]) throws -> [UInt8] {
        var content: [UInt8] = []
        try readFile(path) { content += $0 }
        return content
    }

    /// Every path below `root` (not `root` itself), relative to it, parents before children.
    public static func paths(below root: [UInt8]) throws(SystemError) -> [[UInt8]] {
        var found: [[UInt8]] = []
        func visit(_ relative: [UInt8]) throws(SystemError) {
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

    public static func makeDirectory(_ path: [UInt8], mode: UInt32 = 0o755) throws(SystemError) {
        try cwd.makeDirectory(path, permissions: permissions(mode))
    }

    /// Creates (or truncates) a file holding `content`.
    public static func writeFile(_ path: [UInt8], _ content: [UInt8], mode: UInt32 = 0o644) throws(SystemError) {
        let fd = try cwd.open(path, .writeOnly, options: [.create, .truncate, .noFollow], permissions: permissions(mode))
        defer { try? fd.closeOnce() }
        try fd.write(content)
    }

    /// Overwrites one byte of an open file in place (to damage a file behind a reader's back).
    public static func overwriteByte(_ fd: FileDescriptor, at offset: Int64, with byte: UInt8) {
        try? fd.write([byte][...], at: offset)
    }

    public static func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(SystemError) {
        try cwd.makeSymlink(path, target: target)
    }

    public static func makeHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemError) {
        try cwd.makeHardLink(path, to: existing, in: cwd)
    }

    public static func makeFifo(_ path: [UInt8], mode: UInt32 = 0o644) throws(SystemError) {
        try cwd.makeFifo(path, permissions: permissions(mode))
    }

    /// A character device (root only); `number` is the raw `st_rdev`.
    public static func makeCharacterDevice(_ path: [UInt8], number: UInt64, mode: UInt32 = 0o600) throws(SystemError) {
        try cwd.makeDevice(path, type: .characterSpecial, permissions: permissions(mode), number: number)
    }

    /// Changes the owner of `path` itself, not of what a symlink there points to.
    public static func changeOwner(_ path: [UInt8], uid: UInt32, gid: UInt32) throws(SystemError) {
        try cwd.changeOwner(of: path, uid: uid, gid: gid)
    }

    public static func changeMode(_ path: [UInt8], _ mode: UInt32) throws(SystemError) {
        try cwd.changeMode(of: path, permissions: permissions(mode))
    }

    /// Sets access and modification times, not following a symlink.
    public static func setTimes(_ path: [UInt8], _ time: TreeEntry.Timestamp) throws(SystemError) {
        try cwd.setTimes(of: path, timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds)))
    }

    public static func setExtendedAttribute(_ path: [UInt8], name: [UInt8], value: [UInt8]) throws(SystemError) {
        try ExtendedAttributes.set(path: path, name: name, value: value)
    }

    /// Removes `path` and everything below it (making directories writable first).
    public static func removeTree(_ path: [UInt8]) throws(SystemError) {
        guard let status = try status(path) else { return }
        if status.type == .directory {
            try changeMode(path, 0o700)
            for name in try names(in: path) { try removeTree(join(path, name)) }
        }
        try cwd.remove(path, isDirectory: status.type == .directory)
    }

    public static var isRoot: Bool { CurrentProcess.isRoot }

    private static func permissions(_ mode: UInt32) -> FilePermissions { FilePermissions(rawValue: mode_t(mode)) }
}
