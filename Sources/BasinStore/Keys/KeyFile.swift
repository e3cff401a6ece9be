import BasinBackend
import BasinCore
import Foundation

/// The basin's secret keys, as unwrapped from a key file.
public struct MasterKeys: Sendable {
    /// Derives every stratum's payload key.
    public let masterKey: [UInt8]
    /// Keys BLAKE3 for content keys.
    public let idKey: [UInt8]

    public init(masterKey: [UInt8], idKey: [UInt8]) {
        self.masterKey = masterKey
        self.idKey = idKey
    }

    public static func random() -> MasterKeys {
        MasterKeys(masterKey: SecureRandom.bytes(32), idKey: SecureRandom.bytes(32))
    }
}

/// A key file `keys/<id>`: the master and id keys sealed under a key derived from a password
/// with scrypt (docs/FORMAT.md, "Key files"). Several key files may unlock one basin.
public struct KeyFile: Codable, Equatable, Sendable {
    public static let folder = "keys/"
    public static let currentVersion = 1
    static let associatedData = Array("basin key file v1".utf8)

    /// scrypt cost parameters.
    public struct KDFParameters: Codable, Equatable, Sendable {
        public var n: Int
        public var r: Int
        public var p: Int

        /// 32 MiB of memory and about a tenth of a second here: restic's order of cost. The
        /// CLI seals every key file with these.
        public static let standard = KDFParameters(n: 1 << 15, r: 8, p: 1)

        public init(n: Int, r: Int, p: Int) {
            self.n = n
            self.r = r
            self.p = p
        }
    }

    public var version: Int
    public var created: String
    public var hostname: String
    public var username: String
    public var kdf: String
    public var kdfParameters: KDFParameters
    /// hex
    public var salt: String
    public var algorithm: String
    /// hex, 12 bytes
    public var nonce: String
    /// hex: AEAD(masterKey ‖ idKey) under scrypt(password, salt).
    public var sealedKeys: String

    /// Wraps `keys` under `password`.
    public static func seal(_ keys: MasterKeys, password: String, parameters: KDFParameters) throws -> KeyFile {
        let salt = SecureRandom.bytes(32)
        let nonce = SecureRandom.bytes(12)
        let wrapping = try AEADKey(bytes: try derive(password: password, salt: salt, parameters: parameters))
        let sealed = try AEAD.seal(keys.masterKey + keys.idKey, key: wrapping, nonce: nonce,
                                   associatedData: associatedData, algorithm: .chacha20Poly1305)
        return KeyFile(version: currentVersion, created: RFC3339.format(Date(), precision: .seconds),
                       hostname: ProcessInfo.processInfo.hostName, username: ProcessInfo.processInfo.environment["USER"] ?? "",
                       kdf: "scrypt", kdfParameters: parameters, salt: Hex.encode(salt), algorithm: PayloadAlgorithm.chacha20Poly1305.name,
                       nonce: Hex.encode(nonce), sealedKeys: Hex.encode(sealed))
    }

    /// - Returns: the keys, or nil when `password` is not this file's password.
    /// - Throws: `.corrupted` when the file is malformed.
    public func open(password: String, name: String) throws(BasinError) -> MasterKeys? {
        let (salt, nonce, sealed) = try validated(name: name)
        do {
            let wrapping = try AEADKey(bytes: try Self.derive(password: password, salt: salt, parameters: kdfParameters))
            guard let plain = try? AEAD.open(sealed, key: wrapping, nonce: nonce, associatedData: Self.associatedData,
                                             algorithm: .chacha20Poly1305) else { return nil }
            return MasterKeys(masterKey: Array(plain[0..<32]), idKey: Array(plain[32..<64]))
        } catch {
            throw BasinError(.internalError, "could not derive the key of key file \(name)", underlying: error)
        }
    }

    /// Checks every field a password is not needed for (`basin check` does this for each key file).
    /// - Returns: the decoded salt, nonce and sealed keys.
    /// - Throws: `.corrupted` naming the file when a field is malformed or out of range.
    @discardableResult
    public func validated(name: String) throws(BasinError) -> (salt: [UInt8], nonce: [UInt8], sealed: [UInt8]) {
        guard kdf == "scrypt", algorithm == PayloadAlgorithm.chacha20Poly1305.name,
              let salt = Hex.decode(salt), salt.count == 32, let nonce = Hex.decode(nonce), nonce.count == 12,
              let sealed = Hex.decode(sealedKeys), sealed.count == 64 + 16,
              kdfParameters.n > 1, kdfParameters.n & (kdfParameters.n - 1) == 0, kdfParameters.n <= 1 << 22,
              (1...64).contains(kdfParameters.r), (1...16).contains(kdfParameters.p)
        else { throw BasinError(.corrupted, "key file \(name) is malformed") }
        return (salt, nonce, sealed)
    }

    private static func derive(password: String, salt: [UInt8], parameters: KDFParameters) throws -> [UInt8] {
        try KeyDerivation.scrypt(password: Array(password.utf8), salt: salt, n: parameters.n, r: parameters.r,
                                 p: parameters.p, outputByteCount: 32)
    }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    public static func decode(_ bytes: [UInt8], name: String) throws(BasinError) -> KeyFile {
        do {
            let file = try JSONDecoder().decode(KeyFile.self, from: Data(bytes))
            guard file.version == currentVersion else {
                throw BasinError(.incompatibleVersion, "key file \(name) has version \(file.version); this basin reads version \(currentVersion)")
            }
            return file
        } catch let error as BasinError {
            throw error
        } catch {
            throw BasinError(.corrupted, "key file \(name) is not readable", underlying: error)
        }
    }
}
