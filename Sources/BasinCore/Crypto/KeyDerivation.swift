import Crypto
import _CryptoExtras

/// Key derivation: HKDF to derive subkeys from a master key, scrypt to derive a key from a
/// password.
public enum KeyDerivation {
    /// The most memory scrypt may be asked for (`128 · n · r` bytes): 4 GiB.
    public static let scryptMaxMemory = 1 << 32
    /// The most scrypt work accepted (`128 · n · r · p`): 64 GiB of block mixing.
    public static let scryptMaxWork = 1 << 36

    /// HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info`.
    /// - Parameters:
    ///   - inputKeyMaterial: The secret to derive from (e.g. the basin's master key).
    ///   - salt: Non-secret randomness (e.g. a stratum's salt); may be empty.
    ///   - info: What the key is for; distinct purposes must use distinct `info`.
    ///   - outputByteCount: 1 to 8160 (255 · 32) bytes.
    /// - Returns: `outputByteCount` bytes of key.
    public static func hkdfSHA256(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], outputByteCount: Int) -> [UInt8] {
        precondition((1...(255 * 32)).contains(outputByteCount), "HKDF-SHA256 output must be 1...8160 bytes")
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: inputKeyMaterial), salt: salt, info: info, outputByteCount: outputByteCount)
        return key.withUnsafeBytes { Array($0) }
    }

    /// scrypt (RFC 7914) over a password.
    ///
    /// The cost parameters may come from an untrusted key file, so they are checked here
    /// rather than trusted: out-of-range values throw instead of trapping or exhausting memory.
    /// - Parameters:
    ///   - password: The password's bytes (may be empty).
    ///   - salt: The salt (may be empty).
    ///   - n: CPU/memory cost: a power of two, at least 2.
    ///   - r: Block size, at least 1.
    ///   - p: Parallelism, at least 1.
    ///   - outputByteCount: 1 to 1024 bytes.
    /// - Returns: `outputByteCount` bytes of key.
    /// - Throws: ``KeyDerivationError/invalidParameters(_:)`` for parameters out of range
    ///   (including memory over ``scryptMaxMemory`` or work over ``scryptMaxWork``),
    ///   ``KeyDerivationError/failed(_:)`` if the underlying implementation fails.
    public static func scrypt(password: [UInt8], salt: [UInt8], n: Int, r: Int, p: Int, outputByteCount: Int) throws(KeyDerivationError) -> [UInt8] {
        guard n >= 2, n.nonzeroBitCount == 1 else { throw .invalidParameters("scrypt n = \(n) is not a power of two of at least 2") }
        guard r >= 1, p >= 1 else { throw .invalidParameters("scrypt r = \(r), p = \(p): both must be at least 1") }
        guard (1...1024).contains(outputByteCount) else { throw .invalidParameters("scrypt output of \(outputByteCount) bytes") }
        let memory = product([128, n, r])
        let work = product([128, n, r, p])
        guard let memory, memory <= scryptMaxMemory, let work, work <= scryptMaxWork else {
            throw .invalidParameters("scrypt n = \(n), r = \(r), p = \(p) needs more memory or work than allowed")
        }
        do {
            let key = try KDF.Scrypt.deriveKey(
                from: password, salt: salt, outputByteCount: outputByteCount, rounds: n, blockSize: r, parallelism: p)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            throw .failed(String(describing: error))
        }
    }

    /// The product of `factors`, or nil if it overflows.
    private static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            let (value, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = value
        }
        return result
    }
}

/// Why a key could not be derived.
public enum KeyDerivationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The parameters are out of the accepted range (the message says which).
    case invalidParameters(String)
    /// The underlying implementation failed (its description).
    case failed(String)

    public var description: String {
        switch self {
        case let .invalidParameters(message): "invalid key derivation parameters: \(message)"
        case let .failed(message): "key derivation failed: \(message)"
        }
    }
}
