import Crypto
import Foundation

/// Authenticated encryption of payloads: the "encrypt" half of sealing.
///
/// A sealed box is `ciphertext || tag`: the ciphertext is as long as the plaintext, the tag is
/// 16 bytes, and neither the nonce nor the associated data is included (the caller stores or
/// derives them). The same layout for both algorithms.
public enum AEAD {
    /// Key length for every algorithm.
    public static let keyByteCount = 32
    /// Nonce length for every algorithm.
    public static let nonceByteCount = 12
    /// Tag length for every algorithm (appended to the ciphertext).
    public static let tagByteCount = 16

    /// Encrypts and authenticates `plaintext`, and authenticates `associatedData`.
    /// - Parameters:
    ///   - plaintext: The bytes to encrypt (may be empty).
    ///   - key: The key.
    ///   - nonce: 12 bytes, never used twice with the same key (see ``nonce(counter:)``).
    ///   - associatedData: Bytes bound to the box but not encrypted or included in it.
    ///   - algorithm: The cipher.
    /// - Returns: `ciphertext || tag`, `plaintext.count + 16` bytes.
    /// - Throws: ``AEADError/invalidNonceSize(_:)`` if `nonce` is not 12 bytes.
    public static func seal(
        _ plaintext: [UInt8], key: AEADKey, nonce: [UInt8], associatedData: [UInt8], algorithm: AEADAlgorithm
    ) throws(AEADError) -> [UInt8] {
        guard nonce.count == nonceByteCount else { throw .invalidNonceSize(nonce.count) }
        do {
            switch algorithm {
            case .chacha20Poly1305:
                let box = try ChaChaPoly.seal(
                    plaintext, using: key.symmetricKey, nonce: ChaChaPoly.Nonce(data: nonce), authenticating: associatedData)
                return joined(box.ciphertext, box.tag)
            case .aes256GCM:
                let box = try AES.GCM.seal(
                    plaintext, using: key.symmetricKey, nonce: AES.GCM.Nonce(data: nonce), authenticating: associatedData)
                return joined(box.ciphertext, box.tag)
            }
        } catch {
            // Sizes are checked above, so swift-crypto has no other reason to refuse.
            preconditionFailure("AEAD.seal failed with valid arguments: \(error)")
        }
    }

    /// Verifies and decrypts a box made by ``seal(_:key:nonce:associatedData:algorithm:)``.
    /// - Parameters:
    ///   - sealed: `ciphertext || tag` (untrusted).
    ///   - key: The key it was sealed with.
    ///   - nonce: The nonce it was sealed with (12 bytes).
    ///   - associatedData: The associated data it was sealed with.
    ///   - algorithm: The cipher it was sealed with.
    /// - Returns: The plaintext, only if everything verifies.
    /// - Throws: ``AEADError/authenticationFailed`` if the box does not verify (wrong key or
    ///   anything altered), ``AEADError/truncated(byteCount:)`` if it is shorter than a tag,
    ///   ``AEADError/invalidNonceSize(_:)`` for a nonce that is not 12 bytes.
    public static func open(
        _ sealed: [UInt8], key: AEADKey, nonce: [UInt8], associatedData: [UInt8], algorithm: AEADAlgorithm
    ) throws(AEADError) -> [UInt8] {
        try open(sealed[...], key: key, nonce: nonce, associatedData: associatedData, algorithm: algorithm)
    }

    /// ``open(_:key:nonce:associatedData:algorithm:)`` of a box inside a larger buffer, without
    /// copying it out first.
    public static func open(
        _ sealed: ArraySlice<UInt8>, key: AEADKey, nonce: [UInt8], associatedData: [UInt8], algorithm: AEADAlgorithm
    ) throws(AEADError) -> [UInt8] {
        guard nonce.count == nonceByteCount else { throw .invalidNonceSize(nonce.count) }
        guard sealed.count >= tagByteCount else { throw .truncated(byteCount: sealed.count) }
        let ciphertext = sealed.dropLast(tagByteCount)
        let tag = sealed.suffix(tagByteCount)
        do {
            switch algorithm {
            case .chacha20Poly1305:
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                return Array(try ChaChaPoly.open(box, using: key.symmetricKey, authenticating: associatedData))
            case .aes256GCM:
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                return Array(try AES.GCM.open(box, using: key.symmetricKey, authenticating: associatedData))
            }
        } catch {
            throw .authenticationFailed
        }
    }

    /// The nonce for the `counter`-th seal under one key: 4 zero bytes, then `counter` as
    /// 8 little-endian bytes.
    ///
    /// Basin seals the grains of a stratum under a key derived for that stratum alone, with the
    /// grain's sequence number as the counter, so no nonce repeats under a key and none is stored.
    /// - Parameter counter: The sequence number.
    /// - Returns: 12 bytes.
    public static func nonce(counter: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: nonceByteCount)
        for index in 0..<8 {
            nonce[4 + index] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * index))
        }
        return nonce
    }

    private static func joined(_ ciphertext: Data, _ tag: Data) -> [UInt8] {
        var sealed = [UInt8]()
        sealed.reserveCapacity(ciphertext.count + tag.count)
        sealed.append(contentsOf: ciphertext)
        sealed.append(contentsOf: tag)
        return sealed
    }
}
