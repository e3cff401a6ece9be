import SystemPackage

/// A failed system call: which call, on which name or path, and the `errno` it set.
///
/// The one error type of ``BasinSystem``; callers that give failures a meaning of their own
/// (the store's error codes, restore's report) switch on ``errno``, and those that only pass
/// the failure on show ``description``, which names the call and the path.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The system call, as `man 2` names it (`openat`, `fsync`, `renameat2`…).
    public let call: String
    /// The name or path the call was given, as bytes (names need not be UTF-8); nil for a call
    /// on a descriptor alone.
    public let path: [UInt8]?
    /// Why it failed.
    public let errno: Errno

    public init(_ call: String, path: [UInt8]?, errno: Errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// `openat /srv/data/a: Permission denied`; bytes that are not UTF-8 show as U+FFFD.
    public var description: String {
        guard let path else { return "\(call): \(errno)" }
        return "\(call) \(String(decoding: path, as: UTF8.self)): \(errno)"
    }
}
