import Glibc
import SystemPackage

/// The bytes of one index segment: a read-only mapping of a local file, or a heap copy.
///
/// `bytes` stays valid and unchanged for the object's whole life and is released only in
/// deinit, so readers holding a reference may use it from any thread.
final class SegmentMemory: @unchecked Sendable {
    // SAFETY (@unchecked Sendable): `bytes` is written once in init, points to memory nobody
    // writes (PROT_READ mapping or a private copy), and is released only in deinit, after the
    // last reference is gone.
    let bytes: UnsafeRawBufferPointer
    let isMapped: Bool

    private init(bytes: UnsafeRawBufferPointer, isMapped: Bool) {
        self.bytes = bytes
        self.isMapped = isMapped
    }

    /// Copies `contents` into memory the new object owns.
    convenience init(copying contents: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: contents.count, alignment: 16)
        // SAFETY: `buffer` was just allocated with exactly `contents.count` bytes.
        buffer.copyBytes(from: contents)
        self.init(bytes: UnsafeRawBufferPointer(buffer), isMapped: false)
    }

    /// Maps the file at `path` read-only, for random access.
    /// - Throws: `Errno` when the file cannot be opened, sized or mapped.
    convenience init(mapping path: String) throws(Errno) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Errno(rawValue: errno) }
        defer { close(descriptor) }  // the mapping outlives the descriptor
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Errno(rawValue: errno) }
        let size = Int(info.st_size)
        guard size > 0 else {
            // mmap rejects empty mappings; an empty copy lets the header check report the file.
            self.init(copying: [])
            return
        }
        // SAFETY: a new read-only mapping of the file's `size` bytes, owned by this object alone.
        let address = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else { throw Errno(rawValue: errno) }
        // Lookups jump around: no read-ahead (advice only; a failure changes nothing).
        _ = madvise(address, size, MADV_RANDOM)
        self.init(bytes: UnsafeRawBufferPointer(start: address, count: size), isMapped: true)
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if isMapped {
            // SAFETY: `base`/`count` are exactly what mmap returned; no reference to this object remains.
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        } else {
            // SAFETY: allocated in init(copying:) and not freed before.
            base.deallocate()
        }
    }
}
