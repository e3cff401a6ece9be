/// Conversions between bytes and BLAKE3's little-endian 32-bit words.
enum BLAKE3Words {
    /// Loads the 16 words of a 64-byte block.
    /// - Parameters:
    ///   - pointer: 64 readable bytes, any alignment.
    @inline(__always)
    static func loadBlock(_ pointer: UnsafeRawPointer) -> SIMD16<UInt32> {
        // SAFETY: the caller provides 64 readable bytes; loadUnaligned needs no alignment.
        var words = pointer.loadUnaligned(as: SIMD16<UInt32>.self)
        #if _endian(big)
        for index in words.indices { words[index] = words[index].byteSwapped }
        #endif
        return words
    }

    /// The 8 words of a 32-byte key.
    /// - Parameters:
    ///   - key: exactly 32 bytes (a precondition).
    static func key(_ key: [UInt8]) -> SIMD8<UInt32> {
        precondition(key.count == BLAKE3.keyByteCount, "a BLAKE3 key is 32 bytes, not \(key.count)")
        var words = SIMD8<UInt32>()
        for index in 0..<8 {
            words[index] = UInt32(key[4 * index]) | UInt32(key[4 * index + 1]) << 8
                | UInt32(key[4 * index + 2]) << 16 | UInt32(key[4 * index + 3]) << 24
        }
        return words
    }

    /// The little-endian bytes of `words`, as a 64-byte vector.
    @inline(__always)
    static func littleEndianBytes(_ words: SIMD16<UInt32>) -> SIMD64<UInt8> {
        var words = words
        #if _endian(big)
        for index in words.indices { words[index] = words[index].byteSwapped }
        #endif
        return unsafeBitCast(words, to: SIMD64<UInt8>.self)
    }

    /// The 32 little-endian bytes of a chaining value.
    static func bytes(_ words: SIMD8<UInt32>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        for word in 0..<8 {
            for shift in stride(from: 0, to: 32, by: 8) {
                out.append(UInt8(truncatingIfNeeded: words[word] >> UInt32(shift)))
            }
        }
        return out
    }
}
