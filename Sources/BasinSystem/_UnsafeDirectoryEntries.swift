// Reading a directory's entries with readdir, whose `dirent` is valid only until the next call.

import Glibc
import SystemPackage

/// One entry of a directory, as `readdir` gives it.
public struct DirectoryEntry: Sendable {
    /// The name, as bytes.
    public let name: [UInt8]
    /// The entry's type, or nil when the file system does not fill in `d_type` (then `stat` it).
    public let type: FileType?
}

extension FileDescriptor {
    /// The entries of this open directory except `.` and `..`, in the file system's order.
    /// Reads from the directory's current position (through a duplicate descriptor that shares
    /// it), so list a directory once per opening; the descriptor stays open.
    public func directoryEntries() throws(SystemError) -> [DirectoryEntry] {
        let copy = Glibc.dup(rawValue)
        guard copy >= 0 else { throw SystemError("dup", path: nil, errno: Errno(rawValue: errno)) }
        return try Self.entries(ofOpened: copy, path: nil)
    }

    /// The entries of directory `name` (a symlink to one is followed) except `.` and `..`,
    /// opened for this listing alone.
    public func directoryEntries(of name: [UInt8]) throws(SystemError) -> [DirectoryEntry] {
        let directory = try open(name, .readOnly, options: .directory)
        return try Self.entries(ofOpened: directory.rawValue, path: name)
    }

    /// Reads the entries of `fd`, which the directory stream takes over and closes.
    private static func entries(ofOpened fd: CInt, path: [UInt8]?) throws(SystemError) -> [DirectoryEntry] {
        guard let stream = fdopendir(fd) else {
            let error = SystemError("fdopendir", path: path, errno: Errno(rawValue: errno))
            Glibc.close(fd)
            throw error
        }
        defer { closedir(stream) }
        var entries: [DirectoryEntry] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemError("readdir", path: path, errno: Errno(rawValue: errno)) }
                return entries
            }
            // SAFETY: d_name is a NUL-terminated array inside the entry readdir returned,
            // valid until the next readdir call; it is copied out before that.
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            let type: FileType? = switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): .directory
            case Int32(DT_REG): .regular
            case Int32(DT_LNK): .symbolicLink
            case Int32(DT_FIFO): .fifo
            case Int32(DT_CHR): .characterSpecial
            case Int32(DT_BLK): .blockSpecial
            case Int32(DT_SOCK): .socket
            default: nil  // DT_UNKNOWN: the file system does not say
            }
            entries.append(DirectoryEntry(name: name, type: type))
        }
    }
}
