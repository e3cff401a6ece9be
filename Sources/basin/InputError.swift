#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BasinCore

/// Why an input could not be hashed.
enum InputError: Error, CustomStringConvertible {
    /// A system call failed with `errno`.
    case system(Int32)
    case stdinInKeyedMode
    case badKeyLength(Int)

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
