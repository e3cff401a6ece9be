/// Why a byte structure could not be decoded. Every case carries the offset (from the start of
/// the buffer being decoded) where decoding stopped, so a caller can name the bad spot.
public enum CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the structure needs: `needed` more at `offset`.
    case truncated(offset: Int, needed: Int)
    /// A magic number did not match.
    case badMagic(offset: Int)
    /// A format version this code does not read.
    case unsupportedVersion(offset: Int, version: Int)
    /// A checksum over the bytes did not match what they carry.
    case checksumMismatch(offset: Int)
    /// A length or count read from the bytes is impossible (too large, or negative once widened).
    case lengthOverflow(offset: Int, value: UInt64)
    /// A field holds a value outside its defined set.
    case invalidValue(offset: Int, field: String)
    /// An AEAD tag did not verify: wrong key, or the bytes were altered or moved.
    case authenticationFailed(offset: Int)
    /// The content read does not hash to the key it was stored under.
    case keyMismatch(offset: Int)

    public var description: String {
        switch self {
        case let .truncated(offset, needed): "truncated at byte \(offset): \(needed) more bytes needed"
        case let .badMagic(offset): "bad magic at byte \(offset)"
        case let .unsupportedVersion(offset, version): "unsupported format version \(version) at byte \(offset)"
        case let .checksumMismatch(offset): "checksum mismatch at byte \(offset)"
        case let .lengthOverflow(offset, value): "impossible length \(value) at byte \(offset)"
        case let .invalidValue(offset, field): "invalid \(field) at byte \(offset)"
        case let .authenticationFailed(offset): "authentication failed for the payload at byte \(offset)"
        case let .keyMismatch(offset): "content does not match its key at byte \(offset)"
        }
    }
}
