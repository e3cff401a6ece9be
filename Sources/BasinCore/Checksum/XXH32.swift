import CXXHash

/// XXH32, the 32-bit xxHash (libxxhash), as used for grain and footer frame checksums.
///
/// Not a cryptographic hash: it detects corruption and torn writes, nothing more. The result is
/// the 32-bit value xxHash defines; FORMAT.md says how it is laid out on disk.
public enum XXH32 {
    /// Hashes `bytes` in one call.
    /// - Parameters:
    ///   - bytes: The bytes to hash (may be empty).
    ///   - seed: The xxHash seed; 0 unless a format says otherwise.
    /// - Returns: The XXH32 of `bytes` with `seed`.
    /// - Complexity: O(n).
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        // SAFETY: `bytes` is valid for `bytes.count` bytes for the duration of the call;
        // libxxhash reads exactly that many and accepts a nil base with a zero length.
        CXXHash.XXH32(bytes.baseAddress, bytes.count, seed)
    }

    /// Hashes an array of bytes in one call.
    /// - Parameters:
    ///   - bytes: The bytes to hash (may be empty).
    ///   - seed: The xxHash seed.
    /// - Returns: The XXH32 of `bytes` with `seed`.
    public static func hash(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    /// Hashes a slice of bytes in one call.
    /// - Parameters:
    ///   - bytes: The bytes to hash (may be empty).
    ///   - seed: The xxHash seed.
    /// - Returns: The XXH32 of `bytes` with `seed`.
    public static func hash(_ bytes: ArraySlice<UInt8>, seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }
}
