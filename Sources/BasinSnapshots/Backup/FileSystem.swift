import BasinCore
import BasinSystem
import SystemPackage

/// What `lstat` says of a file, in the terms of a tree entry.
struct FileStatus: Sendable {
    var type: TreeEntry.EntryType?
    var mode: UInt32
    var uid: UInt32
    var gid: UInt32
    var size: UInt64
    var modificationTime: TreeEntry.Timestamp
    var changeTime: TreeEntry.Timestamp
    var inode: UInt64
    var device: UInt64
    var linkCount: UInt64
    var deviceNumber: UInt64
}

/// The calls backup makes, on byte names (file names need not be UTF-8) and directory
/// descriptors (so deep trees never build long paths, and a path cannot be swapped under us
/// between stat and open): ``BasinSystem`` in the terms of the backup walk, failing with the
/// `Errno` the walk reports.
enum FileSystem {
    static func status(at directory: Int32, name: [UInt8]) throws(Errno) -> FileStatus {
        try reportingErrno { () throws(SystemError) in FileStatus(try FileDescriptor(rawValue: directory).status(of: name)) }
    }

    static func status(path: [UInt8]) throws(Errno) -> FileStatus {
        try status(at: FileDescriptor.currentDirectory.rawValue, name: path)
    }

    /// Opens a directory for walking, refusing to follow a symlink in its place.
    static func openDirectory(at directory: Int32, name: [UInt8]) throws(Errno) -> Int32 {
        try reportingErrno { () throws(SystemError) in
            try FileDescriptor(rawValue: directory).open(name, .readOnly, options: [.directory, .noFollow]).rawValue
        }
    }

    /// Opens a regular file for reading without updating its access time where allowed
    /// (O_NOATIME is refused with EPERM on files of other users).
    static func openFile(at directory: Int32, name: [UInt8]) throws(Errno) -> Int32 {
        let directory = FileDescriptor(rawValue: directory)
        return try reportingErrno { () throws(SystemError) in
            do throws(SystemError) {
                return try directory.open(name, .readOnly, options: [.noFollow, FileDescriptor.noAccessTime]).rawValue
            } catch where error.errno == .notPermitted {
                return try directory.open(name, .readOnly, options: .noFollow).rawValue
            }
        }
    }

    /// The names in a directory (without `.` and `..`), unsorted.
    static func list(directory: Int32) throws(Errno) -> [[UInt8]] {
        try reportingErrno { () throws(SystemError) in try FileDescriptor(rawValue: directory).directoryEntries().map(\.name) }
    }

    static func readLink(at directory: Int32, name: [UInt8], size: Int) throws(Errno) -> [UInt8] {
        try reportingErrno { () throws(SystemError) in try FileDescriptor(rawValue: directory).readLink(name, sizeHint: size) }
    }

    /// Reads up to `buffer.count` bytes.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try reportingErrno { () throws(SystemError) in try FileDescriptor(rawValue: fd).readSome(into: buffer) }
    }

    /// Extended attributes of the file at `path` (not following symlinks); none where the file
    /// system has no support for them or they cannot be read.
    static func extendedAttributes(path: [UInt8]) -> [TreeEntry.ExtendedAttribute] {
        let attributes = (try? ExtendedAttributes.list(path: path)) ?? []
        return attributes.map { TreeEntry.ExtendedAttribute(name: $0.name, value: $0.value) }
    }

    private static func reportingErrno<T>(_ body: () throws(SystemError) -> T) throws(Errno) -> T {
        do throws(SystemError) {
            return try body()
        } catch {
            throw error.errno
        }
    }
}

extension TreeEntry.EntryType {
    /// The entry type of a file of type `type`; nil for a type a tree cannot hold.
    package init?(_ type: FileType) {
        switch type {
        case .regular: self = .file
        case .directory: self = .directory
        case .symbolicLink: self = .symlink
        case .fifo: self = .fifo
        case .characterSpecial: self = .characterDevice
        case .blockSpecial: self = .blockDevice
        case .socket: self = .socket
        default: return nil
        }
    }
}

extension FileStatus {
    init(_ status: Stat) {
        let raw = status.rawValue
        type = TreeEntry.EntryType(status.type)
        mode = UInt32(raw.st_mode & 0o7777)
        uid = raw.st_uid
        gid = raw.st_gid
        size = UInt64(max(0, raw.st_size))
        modificationTime = .init(seconds: Int64(raw.st_mtim.tv_sec), nanoseconds: UInt32(raw.st_mtim.tv_nsec))
        changeTime = .init(seconds: Int64(raw.st_ctim.tv_sec), nanoseconds: UInt32(raw.st_ctim.tv_nsec))
        inode = UInt64(raw.st_ino)
        device = UInt64(raw.st_dev)
        linkCount = UInt64(raw.st_nlink)
        deviceNumber = UInt64(raw.st_rdev)
    }
}
