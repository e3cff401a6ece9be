import BasinCore
import BasinSystem
import Glibc

/// Why an input could not be hashed, worded as b3sum words it (OS errors end in
/// "(os error N)", as Rust prints them).
enum InputError: Error, CustomStringConvertible {
    /// A system call failed with `errno`.
    case system(Int32)
    /// `-` names standard input, which holds the key in keyed mode.
    case stdinInKeyedMode
    /// Standard input held this many bytes instead of a 32-byte key (counted up to 33).
    case badKeyLength(Int)

    init(_ error: SystemError) {
        self = .system(error.errno.rawValue)
    }

    var description: String {
        switch self {
        case let .system(code): "\(String(cString: strerror(code))) (os error \(code))"
        case .stdinInKeyedMode: "Cannot open `-` in keyed mode"
        case let .badKeyLength(count) where count > BLAKE3.keyByteCount:
            "read more than \(BLAKE3.keyByteCount) key bytes from standard input"
        case let .badKeyLength(count): "expected \(BLAKE3.keyByteCount) key bytes from standard input, found \(count)"
        }
    }
}
