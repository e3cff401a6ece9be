// The few functions of the local backend that touch raw pointers: moving bytes between Swift
// arrays and file descriptors, reading directory entries, and finding `renameat2`.
// Each keeps its pointers inside one `withUnsafe*` scope.

import BasinBackend

import Glibc
import SystemPackage

extension FileIO {
    /// Writes all of `bytes` at the file's current offset, looping on partial writes and EINTR.
    ///
    /// - Returns: 0 on success, or the errno of the failing `write`.
    static func writeAll(_ fd: CInt, _ bytes: [UInt8]) -> CInt {
        bytes.withUnsafeBytes { buffer -> CInt in
            // SAFETY: `buffer` is valid for the whole closure; `done` only grows and stays
            // ≤ buffer.count, so every pointer and count passed to write() lies inside it.
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
    }

    /// Reads up to `count` bytes at `offset`, looping on partial reads and EINTR, stopping at EOF.
    ///
    /// - Returns: the bytes read (fewer than `count` only at end of file), or the errno of the
    ///   failing `pread`.
    static func readFully(_ fd: CInt, count: Int, offset: Int) -> Result<[UInt8], Errno> {
        var failure: CInt = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // SAFETY: pread() writes only into buffer[done..<count], which lies inside the
            // allocation; `initialized` is set to the number of bytes pread() has written.
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
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

    /// The entries of a directory other than `.` and `..`, with whether each is a directory,
    /// a regular file, or unknown (`d_type` not filled in by the file system).
    static func directoryEntries(_ path: String) -> Result<[(name: String, type: EntryType)], Errno> {
        guard let dir = opendir(path) else { return .failure(Errno(rawValue: errno)) }
        defer { closedir(dir) }
        var entries: [(name: String, type: EntryType)] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { return .failure(Errno(rawValue: errno)) }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                // SAFETY: d_name is a NUL-terminated C string stored inside the dirent, which
                // stays valid until the next readdir(); String(cString:) copies it out first.
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(cString: $0)
                }
            }
            if name == "." || name == ".." { continue }
            let type: EntryType
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): type = .directory
            case Int32(DT_REG): type = .file
            case Int32(DT_UNKNOWN): type = .unknown
            default: type = .other
            }
            entries.append((name, type))
        }
        return .success(entries)
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
