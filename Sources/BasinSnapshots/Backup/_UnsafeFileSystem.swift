import BasinCore
import CLinuxSys
import Glibc
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

/// The few POSIX calls backup needs, on byte names (file names need not be UTF-8) and
/// directory descriptors (so deep trees never build long paths, and a path cannot be swapped
/// under us between stat and open).
enum FileSystem {
    /// O_NOATIME (Linux, every architecture): Glibc's module leaves it out (it needs _GNU_SOURCE).
    static let noAccessTime: Int32 = 0o1000000

    /// Runs `body` with `name` as a NUL-terminated C string.
    static func withCName<R>(_ name: [UInt8], _ body: (UnsafePointer<CChar>) throws(Errno) -> R) throws(Errno) -> R {
        var terminated = name
        terminated.append(0)
        // SAFETY: `terminated` outlives the call and ends in NUL, as C strings must.
        return try terminated.withUnsafeBufferPointer { buffer throws(Errno) in
            try buffer.withMemoryRebound(to: CChar.self) { chars throws(Errno) in try body(chars.baseAddress!) }
        }
    }

    static func status(at directory: Int32, name: [UInt8]) throws(Errno) -> FileStatus {
        var raw = stat()
        try withCName(name) { cName throws(Errno) in
            guard fstatat(directory, cName, &raw, AT_SYMLINK_NOFOLLOW) == 0 else { throw Errno(rawValue: errno) }
        }
        return FileStatus(raw)
    }

    static func status(path: [UInt8]) throws(Errno) -> FileStatus {
        try status(at: AT_FDCWD, name: path)
    }

    /// Opens a directory for walking, refusing to follow a symlink in its place.
    static func openDirectory(at directory: Int32, name: [UInt8]) throws(Errno) -> Int32 {
        try withCName(name) { cName throws(Errno) in
            let fd = openat(directory, cName, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw Errno(rawValue: errno) }
            return fd
        }
    }

    /// Opens a regular file for reading without updating its access time where allowed.
    static func openFile(at directory: Int32, name: [UInt8]) throws(Errno) -> Int32 {
        try withCName(name) { cName throws(Errno) in
            var fd = openat(directory, cName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | noAccessTime)
            if fd < 0, errno == EPERM { fd = openat(directory, cName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            guard fd >= 0 else { throw Errno(rawValue: errno) }
            return fd
        }
    }

    /// The names in a directory (without `.` and `..`), unsorted.
    static func list(directory: Int32) throws(Errno) -> [[UInt8]] {
        let copy = dup(directory)
        guard copy >= 0, let stream = fdopendir(copy) else {
            let error = Errno(rawValue: errno)
            if copy >= 0 { close(copy) }
            throw error
        }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw Errno(rawValue: errno) }
                return names
            }
            // SAFETY: d_name is a NUL-terminated array inside the entry readdir returned,
            // valid until the next readdir call; we copy it out before that.
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
    }

    static func readLink(at directory: Int32, name: [UInt8], size: Int) throws(Errno) -> [UInt8] {
        var capacity = max(size + 1, 256)
        while true {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let count = try withCName(name) { cName throws(Errno) in
                // SAFETY: readlinkat writes at most `capacity` bytes into the buffer.
                let count = buffer.withUnsafeMutableBytes { raw in
                    readlinkat(directory, cName, raw.baseAddress!.assumingMemoryBound(to: CChar.self), capacity)
                }
                guard count >= 0 else { throw Errno(rawValue: errno) }
                return count
            }
            if count < capacity { return Array(buffer.prefix(count)) }
            capacity *= 2
        }
    }

    /// Reads up to `buffer.count` bytes, retrying on EINTR.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        while true {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno != EINTR { throw Errno(rawValue: errno) }
        }
    }

    /// Extended attributes of the file at `path` (not following symlinks); none where the file
    /// system has no support for them.
    static func extendedAttributes(path: [UInt8]) -> [TreeEntry.ExtendedAttribute] {
        (try? withCName(path) { cPath throws(Errno) -> [TreeEntry.ExtendedAttribute] in
            let size = llistxattr(cPath, nil, 0)
            guard size > 0 else { return [] }
            var names = [CChar](repeating: 0, count: size)
            let got = llistxattr(cPath, &names, size)
            guard got > 0 else { return [] }
            var attributes: [TreeEntry.ExtendedAttribute] = []
            for rawName in names.prefix(got).split(separator: 0) {
                var cName = Array(rawName)
                cName.append(0)
                let valueSize = lgetxattr(cPath, cName, nil, 0)
                guard valueSize >= 0 else { continue }
                var value = [UInt8](repeating: 0, count: valueSize)
                let read = valueSize == 0 ? 0 : lgetxattr(cPath, cName, &value, valueSize)
                guard read >= 0 else { continue }
                attributes.append(.init(name: rawName.map { UInt8(bitPattern: $0) }, value: Array(value.prefix(read))))
            }
            return attributes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
        }) ?? []
    }
}

extension FileStatus {
    init(_ raw: stat) {
        let format = raw.st_mode & S_IFMT
        type = switch format {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        case S_IFIFO: .fifo
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFSOCK: .socket
        default: nil
        }
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
