/// How a basin turns content into keys: plain BLAKE3, or BLAKE3 keyed with the basin's id-key
/// when it is encrypted (so keys reveal nothing about content to someone without the keys).
public enum KeyFunction: Sendable, Equatable {
    case plain
    case keyed(idKey: [UInt8])

    public func key(of bytes: [UInt8]) -> Key {
        switch self {
        case .plain: Key(bytes: BLAKE3.hash(bytes))!
        case let .keyed(idKey): Key(bytes: BLAKE3.keyedHash(key: idKey, bytes))!
        }
    }

    /// An incremental hasher for values streamed in pieces; its 32-byte output is the key.
    public func makeHasher() -> BLAKE3Hasher {
        switch self {
        case .plain: BLAKE3Hasher()
        case let .keyed(idKey): BLAKE3Hasher(key: idKey)
        }
    }
}
