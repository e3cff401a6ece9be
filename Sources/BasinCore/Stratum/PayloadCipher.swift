/// Seals and opens the payloads of one stratum.
///
/// The payload key is HKDF-SHA256 of the basin's master key with the stratum's salt, so every
/// stratum has its own key; the nonce is the grain frame's offset in the stratum, unique
/// within it, so no nonce is ever reused under a key and none is stored.
public struct PayloadCipher: Sendable {
    public static let keyDerivationInfo = Array("basin stratum payload v1".utf8)
    public static let plain = PayloadCipher(algorithm: .none, key: nil)

    public let algorithm: PayloadAlgorithm
    private let key: AEADKey?

    private init(algorithm: PayloadAlgorithm, key: AEADKey?) {
        self.algorithm = algorithm
        self.key = key
    }

    /// - Parameters:
    ///   - masterKey: the basin's 32-byte master key (ignored when `algorithm` is `.none`).
    ///   - salt: the stratum's salt from its header.
    public init(algorithm: PayloadAlgorithm, masterKey: [UInt8], salt: [UInt8]) throws {
        guard algorithm != .none else {
            self.init(algorithm: .none, key: nil)
            return
        }
        let derived = KeyDerivation.hkdfSHA256(inputKeyMaterial: masterKey, salt: salt, info: Self.keyDerivationInfo, outputByteCount: 32)
        self.init(algorithm: algorithm, key: try AEADKey(bytes: derived))
    }

    /// - Returns: the payload, sealed with the frame offset as nonce, or unchanged when plain.
    public func seal(_ payload: [UInt8], frameOffset: UInt64, associatedData: [UInt8]) throws -> [UInt8] {
        guard let key, let aead = algorithm.aead else { return payload }
        return try AEAD.seal(payload, key: key, nonce: AEAD.nonce(counter: frameOffset), associatedData: associatedData, algorithm: aead)
    }

    /// - Throws: `CodecError.authenticationFailed` (at `frameOffset`) when the tag does not verify.
    public func open(_ sealed: ArraySlice<UInt8>, frameOffset: UInt64, associatedData: [UInt8]) throws(CodecError) -> [UInt8] {
        guard let key, let aead = algorithm.aead else { return Array(sealed) }
        do {
            return try AEAD.open(sealed, key: key, nonce: AEAD.nonce(counter: frameOffset), associatedData: associatedData, algorithm: aead)
        } catch {
            throw .authenticationFailed(offset: Int(frameOffset))
        }
    }
}
