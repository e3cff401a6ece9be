// Calls on an open file: its bytes, its durability, its metadata. Reads and writes go through
// swift-system's `FileDescriptor` (which retries EINTR); what it lacks (fsync, ftruncate,
// fchown, futimens, fsetxattr) is called here. Pointers stay inside one `withUnsafe*` scope.

import CLinuxSys
import Glibc
import SystemPackage

extension FileDescriptor {
    // MARK: - Content

    /// Reads up to `buffer.count` bytes at the file's offset: fewer at the end of the file,
    /// or from a pipe; 0 at the end.
    public func readSome(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        try swiftSystemCall("read") { try read(into: buffer) }
    }

    /// Reads up to `count` bytes at the file's offset, in one `read`: fewer at the end of the
    /// file or from a pipe or terminal; none at the end.
    public func read(upTo count: Int) throws(SystemError) -> [UInt8] {
        var failure: SystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // SAFETY: read writes at most `count` bytes into the new buffer; `initialized` is
            // the number it wrote.
            do throws(SystemError) {
                initialized = try readSome(into: UnsafeMutableRawBufferPointer(buffer))
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads `count` bytes at `offset` (the file's own offset unchanged), looping on partial
    /// reads; fewer only at the end of the file.
    public func read(count: Int, at offset: Int64) throws(SystemError) -> [UInt8] {
        var failure: SystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // SAFETY: each pread writes only into buffer[done..<count], inside the allocation;
            // `initialized` is the number of bytes written.
            var done = 0
            while done < count {
                let rest = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[done...])
                do throws(SystemError) {
                    let n = try swiftSystemCall("pread") { try read(fromAbsoluteOffset: offset + Int64(done), into: rest) }
                    if n == 0 { break }
                    done += n
                } catch {
                    failure = error
                    break
                }
            }
            initialized = done
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at the file's offset, looping on partial writes.
    public func write(_ bytes: [UInt8]) throws(SystemError) {
        _ = try swiftSystemCall("write") { try writeAll(bytes) }
    }

    /// Writes all of `bytes` at `offset` (the file's own offset unchanged), looping on partial
    /// writes: pieces of one file may be written from several tasks at once.
    public func write(_ bytes: ArraySlice<UInt8>, at offset: Int64) throws(SystemError) {
        _ = try swiftSystemCall("pwrite") { try writeAll(toAbsoluteOffset: offset, bytes) }
    }

    /// Sets the file's size (`ftruncate`).
    public func setSize(_ size: Int64) throws(SystemError) {
        _ = try systemCall("ftruncate") { ftruncate(rawValue, off_t(size)) }
    }

    /// Flushes the file to stable storage. Only EINTR is retried: after any other failure the
    /// kernel may have dropped the dirty pages, so a retry could report a false success.
    public func sync() throws(SystemError) {
        _ = try systemCall("fsync") { fsync(rawValue) }
    }

    /// Closes the descriptor, never retried: Linux frees it even when close fails, and a retry
    /// could close a descriptor another thread has just been given.
    public func closeOnce() throws(SystemError) {
        _ = try swiftSystemCall("close") { try close() }
    }

    // MARK: - Metadata

    public func changeOwner(uid: UInt32, gid: UInt32) throws(SystemError) {
        _ = try systemCall("fchown") { fchown(rawValue, uid, gid) }
    }

    public func changeMode(_ permissions: FilePermissions) throws(SystemError) {
        _ = try systemCall("fchmod") { fchmod(rawValue, permissions.rawValue) }
    }

    /// Sets access and modification time to `time`.
    public func setTimes(_ time: timespec) throws(SystemError) {
        let times = [time, time]
        _ = try systemCall("futimens") {
            // SAFETY: `times` holds the two timespecs futimens reads, alive for the call.
            times.withUnsafeBufferPointer { futimens(rawValue, $0.baseAddress) }
        }
    }

    public func setExtendedAttribute(_ name: [UInt8], value: [UInt8]) throws(SystemError) {
        _ = try systemCall("fsetxattr", name) {
            value.withUnsafeBytes { bytes in
                // SAFETY: fsetxattr reads `bytes.count` bytes of the buffer, alive for the call.
                withCString(name) { fsetxattr(rawValue, $0, bytes.baseAddress, bytes.count, 0) }
            }
        }
    }
}
