import Glibc
import SystemPackage

/// An open directory, closed once the walk and the last file job reading in it let go.
final class DirectoryHandle: Sendable {
    let fd: Int32

    init(fd: Int32) { self.fd = fd }

    deinit { close(fd) }

    /// Opens the directory `name` inside `directory` (or a path, from `AT_FDCWD`).
    convenience init(at directory: Int32, name: [UInt8]) throws(Errno) {
        self.init(fd: try FileSystem.openDirectory(at: directory, name: name))
    }

    /// The directory's entries that `excluder` keeps, sorted by name (a tree's order), each
    /// with its status. The walk and the scanner both list through this.
    /// - Parameters:
    ///   - path: the directory's own path, which exclude patterns are matched under.
    ///   - failed: told of each entry that cannot be stat'ed; it is left out.
    /// - Throws: the error of listing the directory.
    func entries(at path: SnapshotPath, excluding excluder: ExcludeMatcher,
                 failed: (SnapshotPath, Errno) -> Void) throws(Errno) -> [(name: [UInt8], status: FileStatus)] {
        let names = try FileSystem.list(directory: fd).sorted { $0.lexicographicallyPrecedes($1) }
        var entries: [(name: [UInt8], status: FileStatus)] = []
        entries.reserveCapacity(names.count)
        for name in names {
            guard excluder.isEmpty || !excluder.excludes(path.appending(name).components) else { continue }
            do {
                entries.append((name, try FileSystem.status(at: fd, name: name)))
            } catch {
                failed(path.appending(name), error)
            }
        }
        return entries
    }
}
