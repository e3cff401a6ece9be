/// The AEAD ciphers a basin can seal payloads with; the raw value is what the key file and
/// stratum headers store (see FORMAT.md).
public enum AEADAlgorithm: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// ChaCha20-Poly1305 (RFC 8439): fast everywhere, constant time without hardware support.
    case chacha20Poly1305 = 1
    /// AES-256-GCM (NIST SP 800-38D): fastest where the CPU has AES and carry-less multiply.
    case aes256GCM = 2

    public var description: String {
        switch self {
        case .chacha20Poly1305: "chacha20-poly1305"
        case .aes256GCM: "aes-256-gcm"
        }
    }
}
