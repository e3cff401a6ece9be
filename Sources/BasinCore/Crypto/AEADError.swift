/// Why an AEAD operation failed.
public enum AEADError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The sealed bytes did not verify: wrong key, or the ciphertext, tag, nonce or associated
    /// data was altered. Nothing of the plaintext is returned.
    case authenticationFailed
    /// The sealed bytes are shorter than a tag, so they cannot be a sealed box at all.
    case truncated(byteCount: Int)
    /// A key was not ``AEAD/keyByteCount`` bytes.
    case invalidKeySize(Int)
    /// A nonce was not ``AEAD/nonceByteCount`` bytes.
    case invalidNonceSize(Int)

    public var description: String {
        switch self {
        case .authenticationFailed: "authentication failed (wrong key, or the data was altered)"
        case let .truncated(count): "sealed data of \(count) bytes is shorter than a \(AEAD.tagByteCount)-byte tag"
        case let .invalidKeySize(count): "AEAD key of \(count) bytes; \(AEAD.keyByteCount) needed"
        case let .invalidNonceSize(count): "AEAD nonce of \(count) bytes; \(AEAD.nonceByteCount) needed"
        }
    }
}
