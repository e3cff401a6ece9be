import Crypto

/// A 256-bit key for ``AEAD``, usable with either ``AEADAlgorithm``.
///
/// Backed by swift-crypto's `SymmetricKey`, which wipes its memory when released. It is
/// immutable (swift-crypto 4 declares it `Sendable`; 3.x predates the annotation), hence
/// `@unchecked Sendable`.
public struct AEADKey: @unchecked Sendable {
    let symmetricKey: SymmetricKey

    /// Wraps existing key bytes (e.g. derived with ``KeyDerivation``).
    /// - Parameter bytes: Exactly ``AEAD/keyByteCount`` (32) bytes.
    /// - Throws: ``AEADError/invalidKeySize(_:)`` for any other length.
    public init(bytes: [UInt8]) throws(AEADError) {
        guard bytes.count == AEAD.keyByteCount else { throw .invalidKeySize(bytes.count) }
        symmetricKey = SymmetricKey(data: bytes)
    }

    /// A fresh key from the system's CSPRNG.
    /// - Returns: A new random key.
    public static func random() -> AEADKey {
        AEADKey(symmetricKey: SymmetricKey(size: .bits256))
    }

    private init(symmetricKey: SymmetricKey) {
        self.symmetricKey = symmetricKey
    }

    /// The key's 32 bytes (a copy; handle with care).
    public var bytes: [UInt8] {
        symmetricKey.withUnsafeBytes { Array($0) }
    }
}
