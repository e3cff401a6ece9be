/// Bytes from the system's cryptographically secure generator (`getrandom` on Linux,
/// `arc4random` on Darwin, through `SystemRandomNumberGenerator`).
public enum SecureRandom {
    /// Fresh random bytes, e.g. for salts, basin ids and keys.
    /// - Parameter count: How many (0 or more).
    /// - Returns: `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes: negative count")
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var word = generator.next()
            for _ in 0..<min(8, count - bytes.count) {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return bytes
    }
}
