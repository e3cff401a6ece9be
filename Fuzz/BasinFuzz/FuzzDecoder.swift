import BasinCore

/// One decoder under fuzzing: what it does with an input, and valid encodings to start from.
///
/// `run` must return for every input: a decoder either yields a value or throws. A trap, a
/// sanitizer report, a hang or a blown memory limit is a bug in the decoder; so is a decoded
/// value that does not survive its own encoder (`check`), which `run` tests wherever the type
/// has one.
struct FuzzDecoder: Sendable {
    let name: String
    /// libFuzzer's -max_len: room for the seeds and mutations well beyond them.
    let maxLength: Int
    /// Decodes an input; true when it decoded (seeds must).
    let run: @Sendable ([UInt8]) -> Bool
    let seeds: @Sendable () throws -> [[UInt8]]

    static func named(_ name: String) -> FuzzDecoder? { all.first { $0.name == name } }

    static let all: [FuzzDecoder] = [
        grain, stratum, indexGrain, indexSegment, clast, tree, rootRecord, snapshotRecord, snapshotRef,
        config, keyFile, lock, condemnation, location, s3XML, pathPattern, namePattern, snapshotPath,
    ]
}

/// Stops the process (libFuzzer saves the input) when a decoded value breaks an invariant.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz check failed: \(message())") }
}

/// Fixed keys and ids, so sealed inputs open the same way every run.
enum Fixture {
    static let masterKey = (0..<32).map { UInt8($0) }
    static let salt = [UInt8](repeating: 0x5A, count: 32)
    static let stratumID: UInt64 = 0x0123_4567_89AB_CDEF
    /// The offset grain frames are opened at (the first frame of a stratum).
    static let frameOffset = 64
    static let refName = "snapshots/" + String(repeating: "ab", count: 32)

    /// The cipher of a stratum with `salt` under the fixed master key.
    static func cipher(_ algorithm: PayloadAlgorithm, salt: [UInt8] = salt) -> PayloadCipher {
        if salt == Self.salt, let made = ciphers[algorithm] { return made }
        // HKDF takes any salt and yields a 32-byte key: this cannot fail.
        return try! PayloadCipher(algorithm: algorithm, masterKey: masterKey, salt: salt)
    }

    /// Ciphers for the fixed salt, made once: deriving keys on every input would slow fuzzing.
    private static let ciphers = Dictionary(uniqueKeysWithValues: PayloadAlgorithm.allCases.map { algorithm in
        (algorithm, try! PayloadCipher(algorithm: algorithm, masterKey: masterKey, salt: salt))
    })
}

/// The first byte of inputs for checksummed or sealed formats: which cipher to use, and
/// whether to repair checksums (and seal payloads) first. Without repairs nearly every
/// mutation would stop at a checksum; with them the fuzzer reaches the fields behind it.
struct Mode {
    let bits: UInt8
    static let repair: UInt8 = 1
    static let encrypted: UInt8 = 2
    static let sealPayload: UInt8 = 4

    var repairs: Bool { bits & Self.repair != 0 }
    var algorithm: PayloadAlgorithm { bits & Self.encrypted != 0 ? .chacha20Poly1305 : .none }
    /// Seal the payload the input holds in clear, so an encrypted input opens past its tag.
    var sealsPayload: Bool { repairs && algorithm != .none && bits & Self.sealPayload != 0 }

    /// Splits an input into its mode byte and the bytes to decode.
    static func split(_ input: [UInt8]) -> (Mode, [UInt8])? {
        guard let first = input.first else { return nil }
        return (Mode(bits: first), Array(input.dropFirst()))
    }

    static func byte(repairs: Bool, algorithm: PayloadAlgorithm, sealPayload: Bool = false) -> UInt8 {
        (repairs ? repair : 0) | (algorithm == .none ? 0 : encrypted) | (sealPayload ? Self.sealPayload : 0)
    }
}

extension Array where Element == UInt8 {
    mutating func storeUInt32(_ value: UInt32, at offset: Int) {
        for index in 0..<4 { self[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    func loadUInt32(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(self[offset + $1]) << (8 * UInt32($1)) }
    }

    func loadUInt64(at offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }
}
