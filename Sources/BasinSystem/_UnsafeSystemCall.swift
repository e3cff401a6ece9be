// The two helpers every call in this module goes through: one that retries EINTR and turns
// `errno` into a ``SystemError`` naming the call and the path, and one that hands a byte
// name to C as a NUL-terminated string. (swift-nio's `syscall(blocking:where:_:)` is the model.)

import Glibc
import SystemPackage

/// Makes the system call `body` until it does not fail with EINTR.
///
/// - Returns: what the call returned (≥ 0).
/// - Throws: ``SystemError`` with `call`, `path` and the errno of a failure other than EINTR.
@inline(__always)
func systemCall<T: BinaryInteger>(_ call: StaticString, _ path: [UInt8]? = nil, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = Glibc.errno
        if code != EINTR { throw SystemError("\(call)", path: path, errno: Errno(rawValue: code)) }
    }
}

/// Runs a swift-system call, giving its `Errno` the name of the call.
@inline(__always)
func swiftSystemCall<T>(_ call: StaticString, _ path: [UInt8]? = nil, _ body: () throws -> T) throws(SystemError) -> T {
    do {
        return try body()
    } catch let error as Errno {
        throw SystemError("\(call)", path: path, errno: error)
    } catch {
        throw SystemError("\(call)", path: path, errno: .ioError)  // swift-system throws only Errno
    }
}

/// Calls `body` with `bytes` as a NUL-terminated C string, copied to the stack.
@inline(__always)
func withCString<R, E: Error>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
    try withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer throws(E) in
        // SAFETY: the allocation has room for every byte of `bytes` and the NUL after them;
        // it lives for the whole call of `body`, which must not keep the pointer.
        bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
        buffer[bytes.count] = 0
        return try body(UnsafePointer(buffer.baseAddress!))
    }
}
