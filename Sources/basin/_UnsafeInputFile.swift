import BasinCore
import BasinSystem
import Glibc
import SystemPackage

/// An input to hash, by file descriptor: a regular file is memory-mapped and hashed in place
/// (on several threads if asked); anything else (standard input, pipes) is read in 1 MiB
/// blocks.
struct InputFile: ~Copyable {
    private let descriptor: FileDescriptor
    private let owned: Bool

    private init(descriptor: FileDescriptor, owned: Bool) {
        self.descriptor = descriptor
        self.owned = owned
    }

    /// Standard input; not closed when done.
    static var standardInput: InputFile { InputFile(descriptor: .standardInput, owned: false) }

    /// Opens a file for reading.
    /// - Parameters:
    ///   - path: the NUL-terminated path bytes.
    /// - Throws: `InputError.system` when it cannot be opened.
    init(opening path: [CChar]) throws(InputError) {
        let bytes = path.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        do throws(SystemError) {
            self.init(descriptor: try FileDescriptor.currentDirectory.open(bytes, .readOnly), owned: true)
        } catch {
            throw InputError(error)
        }
    }

    deinit {
        if owned { try? descriptor.closeOnce() }
    }

    /// Absorbs the whole input into `hasher`.
    /// - Parameters:
    ///   - threads: the most threads for a memory-mapped file.
    /// - Throws: `InputError.system` when the input cannot be read (a directory, an I/O error).
    func hash(into hasher: inout BLAKE3Hasher, threads: Int = 1) throws(InputError) {
        let info: Stat
        do { info = try descriptor.status() } catch { throw InputError(error) }
        if info.type == .directory { throw .system(EISDIR) }
        if info.type == .regular, info.size > 0, let size = Int(exactly: info.size),
           let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor.rawValue, 0), mapping != MAP_FAILED {
            // SAFETY: the mapping is `size` readable bytes, used only before munmap below. (A
            // file truncated by someone else meanwhile raises SIGBUS, as with b3sum.)
            defer { munmap(mapping, size) }
            hasher.update(UnsafeRawBufferPointer(start: mapping, count: size), threads: threads)
            return
        }
        try readAll { hasher.update($0) }
    }

    /// Reads up to `count` bytes (fewer only at end of input).
    /// - Throws: `InputError.system` on a read error.
    func readPrefix(_ count: Int) throws(InputError) -> [UInt8] {
        var bytes = [UInt8]()
        try readAll(limit: count) { bytes += $0 }
        return bytes
    }

    /// Calls `body` with successive full blocks of the input (the last one may be short),
    /// reading at most `limit` bytes. Full 1 MiB blocks keep the hasher on whole subtrees.
    private func readAll(limit: Int = .max, _ body: (UnsafeRawBufferPointer) -> Void) throws(InputError) {
        let blockSize = min(1 << 20, limit)
        // SAFETY: the buffer is allocated here, filled only within its bounds by read(2), and
        // freed when this scope ends; `body` sees only its filled prefix.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(blockSize, 1), alignment: 64)
        defer { buffer.deallocate() }
        var total = 0
        var filled = 0
        var atEnd = false
        while !atEnd && total < limit {
            let wanted = min(blockSize - filled, limit - total)
            let got: Int
            do throws(SystemError) {
                got = try descriptor.readSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + wanted)]))
            } catch {
                throw InputError(error)
            }
            atEnd = got == 0
            filled += got
            total += got
            if filled == blockSize || atEnd || total == limit {
                body(UnsafeRawBufferPointer(rebasing: buffer[..<filled]))
                filled = 0
            }
        }
    }
}
