// Extended attributes by path, without following a symlink: Linux has no `*at` call for them
// (and none can be opened on a symlink, fifo or device without side effects).

import CLinuxSys
import Glibc
import SystemPackage

/// The `l*xattr` calls on a path.
public enum ExtendedAttributes {
    /// Every attribute of `path` with its value, sorted by name. An attribute removed while
    /// they are read is left out.
    /// - Throws: ``SystemError`` of `llistxattr` (ENOTSUP where the file system has none) or
    ///   `lgetxattr`.
    public static func list(path: [UInt8]) throws(SystemError) -> [(name: [UInt8], value: [UInt8])] {
        let names = try withCString(path) { cPath throws(SystemError) in
            try sized("llistxattr", path) { buffer, size in llistxattr(cPath, buffer, size) }
        }
        var attributes: [(name: [UInt8], value: [UInt8])] = []
        for name in names.split(separator: 0) {
            let name = Array(name)
            do throws(SystemError) {
                let value = try withCString(path) { cPath throws(SystemError) in
                    try withCString(name) { cName throws(SystemError) in
                        try sized("lgetxattr", path) { buffer, size in lgetxattr(cPath, cName, buffer, size) }
                    }
                }
                attributes.append((name, value))
            } catch where error.errno == .noData {
                continue
            }
        }
        return attributes.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// Sets attribute `name` of `path` to `value`, not following a symlink.
    public static func set(path: [UInt8], name: [UInt8], value: [UInt8]) throws(SystemError) {
        _ = try systemCall("lsetxattr", path) {
            value.withUnsafeBytes { bytes in
                // SAFETY: lsetxattr reads `bytes.count` bytes of the buffer, alive for the call.
                withCString(path) { path in withCString(name) { lsetxattr(path, $0, bytes.baseAddress, bytes.count, 0) } }
            }
        }
    }

    /// Asks `call` for its size with an empty buffer, then fills one that large; again while
    /// the result grew in between (ERANGE).
    private static func sized(_ call: StaticString, _ path: [UInt8],
                              _ body: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws(SystemError) -> [UInt8] {
        while true {
            let size = try systemCall(call, path) { body(nil, 0) }
            if size == 0 { return [] }
            var failure: SystemError?
            let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
                // SAFETY: the call writes at most `size` bytes into the new buffer and returns
                // how many it wrote, which `initialized` records.
                do throws(SystemError) {
                    initialized = try systemCall(call, path) {
                        body(UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), size)
                    }
                } catch {
                    failure = error
                    initialized = 0
                }
            }
            if let failure {
                if failure.errno == Errno(rawValue: ERANGE) { continue }
                throw failure
            }
            return bytes
        }
    }
}
