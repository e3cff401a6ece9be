/// A small object sealed on its own, outside any stratum: snapshot refs, locks
/// (docs/FORMAT.md, "Sealed objects").
///
/// ```
/// 0  "BSNOBJ"   6  version u8 = 1   7  algorithm u8   8  salt (32 bytes)
/// 40 payload: plaintext, or AEAD(key = HKDF(master key, salt, "basin object v1"), nonce = 0,
///    associated data = the object's name) = ciphertext ‖ tag
/// end-4  xxh32 of every byte before it
/// ```
/// A fresh random salt per object gives each its own key, so the fixed nonce never repeats
/// under one key; the name as associated data stops objects being swapped.
public enum SealedObject {
    public static let magic: [UInt8] = Array("BSNOBJ".utf8)
    public static let version: UInt8 = 1
    static let info = Array("basin object v1".utf8)

    public static func seal(_ plain: [UInt8], name: String, algorithm: PayloadAlgorithm, masterKey: [UInt8], salt: [UInt8]) throws -> [UInt8] {
        precondition(salt.count == 32, "a sealed object's salt is 32 bytes")
        var writer = ByteWriter(capacity: plain.count + 64)
        writer.write(bytes: magic)
        writer.write(version)
        writer.write(algorithm.rawValue)
        writer.write(bytes: salt)
        if let aead = algorithm.aead {
            let key = try AEADKey(bytes: KeyDerivation.hkdfSHA256(inputKeyMaterial: masterKey, salt: salt, info: info, outputByteCount: 32))
            writer.write(bytes: try AEAD.seal(plain, key: key, nonce: AEAD.nonce(counter: 0), associatedData: Array(name.utf8), algorithm: aead))
        } else {
            writer.write(bytes: plain)
        }
        writer.write(XXH32.hash(writer.bytes))
        return writer.bytes
    }

    /// - Throws: `CodecError` for a damaged object, an unknown version, another algorithm than
    ///   the basin's, or a tag that fails (wrong key, or the object was renamed or altered).
    public static func open(_ bytes: [UInt8], name: String, algorithm: PayloadAlgorithm, masterKey: [UInt8]) throws(CodecError) -> [UInt8] {
        guard bytes.count >= 44 else { throw .truncated(offset: bytes.count, needed: 44 - bytes.count) }
        var reader = ByteReader(bytes)
        guard try reader.readBytes(6) == magic else { throw .badMagic(offset: 0) }
        let objectVersion = try reader.readUInt8()
        guard objectVersion == version else { throw .unsupportedVersion(offset: 6, version: Int(objectVersion)) }
        var trailer = ByteReader(Array(bytes[(bytes.count - 4)...]), baseOffset: bytes.count - 4)
        guard try trailer.readUInt32() == XXH32.hash(bytes[0..<(bytes.count - 4)]) else {
            throw .checksumMismatch(offset: bytes.count - 4)
        }
        guard try reader.readUInt8() == algorithm.rawValue else { throw .invalidValue(offset: 7, field: "algorithm") }
        let salt = try reader.readBytes(32)
        let payload = Array(bytes[40..<(bytes.count - 4)])
        guard let aead = algorithm.aead else { return payload }
        do {
            let key = try AEADKey(bytes: KeyDerivation.hkdfSHA256(inputKeyMaterial: masterKey, salt: salt, info: info, outputByteCount: 32))
            return try AEAD.open(payload, key: key, nonce: AEAD.nonce(counter: 0), associatedData: Array(name.utf8), algorithm: aead)
        } catch {
            throw .authenticationFailed(offset: 40)
        }
    }
}
