/// One-shot BLAKE3 hashing in its three modes (hash, keyed hash, key derivation).
///
/// All functions give the same bytes as the reference implementation and `b3sum`. For
/// incremental input or extended output, use ``BLAKE3Hasher``.
public enum BLAKE3 {
    /// Bytes of a default-length output.
    public static let outputByteCount = 32
    /// Bytes of a key for ``keyedHash(key:_:)-(_,[UInt8])``.
    public static let keyByteCount = 32
    /// Bytes of a chunk, the leaves of BLAKE3's tree.
    static let chunkByteCount = 1024
    /// Bytes of a block, the unit of one compression.
    static let blockByteCount = 64

    // Domain flags of the specification.
    static let chunkStart: UInt32 = 1 << 0
    static let chunkEnd: UInt32 = 1 << 1
    static let parent: UInt32 = 1 << 2
    static let root: UInt32 = 1 << 3
    static let keyedHashFlag: UInt32 = 1 << 4
    static let deriveKeyContext: UInt32 = 1 << 5
    static let deriveKeyMaterial: UInt32 = 1 << 6

    /// Hashes `bytes`.
    /// - Parameters:
    ///   - bytes: the input.
    /// - Returns: the 32-byte hash.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// Hashes `bytes`.
    /// - Parameters:
    ///   - bytes: the input.
    /// - Returns: the 32-byte hash.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        hash(bytes, threads: 1)
    }

    /// Hashes `bytes` on up to `threads` threads, with the same result as ``hash(_:)-(UnsafeRawBufferPointer)``.
    ///
    /// The tree is split the way the reference's Rayon mode splits it: each complete subtree is
    /// cut in halves down to pieces of at least 256 KiB, hashed in parallel, and the halves'
    /// chaining values are joined with parent nodes.
    /// - Parameters:
    ///   - bytes: the input.
    ///   - threads: the most threads to use; values below 1 mean 1.
    /// - Returns: the 32-byte hash.
    public static func hash(_ bytes: [UInt8], threads: Int) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0, threads: threads) }
    }

    /// Hashes `bytes` on up to `threads` threads, with the same result as ``hash(_:)-(UnsafeRawBufferPointer)``.
    /// - Parameters:
    ///   - bytes: the input.
    ///   - threads: the most threads to use; values below 1 mean 1.
    /// - Returns: the 32-byte hash.
    public static func hash(_ bytes: UnsafeRawBufferPointer, threads: Int) -> [UInt8] {
        var hasher = BLAKE3Hasher()
        hasher.update(bytes, threads: threads)
        return hasher.finalize()
    }

    /// Hashes `bytes` with a secret key (a MAC or a PRF).
    /// - Parameters:
    ///   - key: exactly 32 bytes (a precondition).
    ///   - bytes: the input.
    /// - Returns: the 32-byte keyed hash.
    public static func keyedHash(key: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { keyedHash(key: key, $0) }
    }

    /// Hashes `bytes` with a secret key (a MAC or a PRF).
    /// - Parameters:
    ///   - key: exactly 32 bytes (a precondition).
    ///   - bytes: the input.
    /// - Returns: the 32-byte keyed hash.
    public static func keyedHash(key: [UInt8], _ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = BLAKE3Hasher(key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Derives a 32-byte key from key material, separated by a context string.
    /// - Parameters:
    ///   - context: a hard-coded, globally unique, application-specific string.
    ///   - material: the input key material.
    /// - Returns: the 32-byte derived key.
    public static func deriveKey(context: String, material: [UInt8]) -> [UInt8] {
        material.withUnsafeBytes { deriveKey(context: context, material: $0) }
    }

    /// Derives a 32-byte key from key material, separated by a context string.
    /// - Parameters:
    ///   - context: a hard-coded, globally unique, application-specific string.
    ///   - material: the input key material.
    /// - Returns: the 32-byte derived key.
    public static func deriveKey(context: String, material: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = BLAKE3Hasher(deriveKeyContext: context)
        hasher.update(material)
        return hasher.finalize()
    }
}
