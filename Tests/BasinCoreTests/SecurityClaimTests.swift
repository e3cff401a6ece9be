import BasinTestSupport
import Testing
@testable import BasinCore

/// The cryptographic claims of docs/SECURITY.md that the codecs alone decide: a sealed grain
/// cannot be moved, relabelled or opened under another stratum's key, and a sealed object
/// cannot be renamed.
@Suite("Security: grains and sealed objects are bound to their place")
struct SecurityClaimTests {
    static let masterKey = SplitMix64.bytes(32, seed: 91)

    /// Two grains of different values in one encrypted stratum, with their frames and offsets.
    static func stratum(algorithm: PayloadAlgorithm, id: UInt64 = 0x5eed, salt: [UInt8] = SplitMix64.bytes(32, seed: 92))
        throws -> (bytes: [UInt8], entries: [StratumEntry], cipher: PayloadCipher) {
        let header = StratumHeader(lane: .data, algorithm: algorithm, stratumID: id, salt: salt)
        let cipher = try PayloadCipher(algorithm: algorithm, masterKey: masterKey, salt: salt)
        var builder = StratumBuilder(header: header, cipher: cipher)
        let keyFunction = KeyFunction.keyed(idKey: SplitMix64.bytes(32, seed: 93))
        for value in [SplitMix64.bytes(500, seed: 94), SplitMix64.bytes(500, seed: 95)] {
            try builder.append(PreparedGrain.prepare(kind: .blob, key: keyFunction.key(of: value), plain: value, compressionLevel: nil))
        }
        let bytes = try builder.finish()
        let entries = try StratumParser.scan(bytes).entries
        try #require(entries.count == 2)
        return (bytes, entries, cipher)
    }

    static func frame(_ bytes: [UInt8], _ entry: StratumEntry) -> [UInt8] {
        Array(bytes[Int(entry.offset)..<Int(entry.offset + entry.length)])
    }

    /// A frame with one header byte changed and its xxh32 made right again, as an attacker
    /// (not bit rot) would leave it.
    static func relabelled(_ frame: [UInt8], byteAt position: Int, to value: UInt8) -> [UInt8] {
        var changed = frame
        changed[position] = value
        let checksum = XXH32.hash(changed[4...])
        for i in 0..<4 { changed[i] = UInt8(truncatingIfNeeded: checksum >> (8 * i)) }
        return changed
    }

    @Test("a grain opens only at its own offset, in its own stratum, with its own kind, flags, key and length",
          arguments: [PayloadAlgorithm.chacha20Poly1305, .aes256GCM])
    func grainsAreBound(algorithm: PayloadAlgorithm) throws {
        let (bytes, entries, cipher) = try Self.stratum(algorithm: algorithm)
        let first = Self.frame(bytes, entries[0])
        let id: UInt64 = 0x5eed
        // The grain as written opens: the failures below are the binding, not a broken fixture.
        _ = try StratumParser.openGrain(frame: first, offset: Int(entries[0].offset), stratumID: id, cipher: cipher)

        #expect(throws: CodecError.self, "moved to the other grain's offset") {
            try StratumParser.openGrain(frame: first, offset: Int(entries[1].offset), stratumID: id, cipher: cipher)
        }
        #expect(throws: CodecError.self, "claimed by another stratum id") {
            try StratumParser.openGrain(frame: first, offset: Int(entries[0].offset), stratumID: id + 1, cipher: cipher)
        }
        // Another stratum's key: same master key, another salt.
        let other = try PayloadCipher(algorithm: algorithm, masterKey: Self.masterKey, salt: SplitMix64.bytes(32, seed: 96))
        #expect(throws: CodecError.self, "opened with another stratum's payload key") {
            try StratumParser.openGrain(frame: first, offset: Int(entries[0].offset), stratumID: id, cipher: other)
        }
        // Header fields covered by the associated data: kind (8), key (10..<42), plain length (42..<46).
        for (position, field) in [(8, "kind"), (10, "key"), (41, "key"), (42, "plain length")] {
            let changed = Self.relabelled(first, byteAt: position, to: first[position] == 3 ? 4 : 3)
            #expect(throws: CodecError.self, "\(field) relabelled with a valid checksum") {
                try StratumParser.openGrain(frame: changed, offset: Int(entries[0].offset), stratumID: id, cipher: cipher)
            }
        }
    }

    @Test("two strata with different salts seal the same grain differently", arguments: [PayloadAlgorithm.chacha20Poly1305, .aes256GCM])
    func perStratumKeys(algorithm: PayloadAlgorithm) throws {
        let a = try Self.stratum(algorithm: algorithm, salt: SplitMix64.bytes(32, seed: 1))
        let b = try Self.stratum(algorithm: algorithm, salt: SplitMix64.bytes(32, seed: 2))
        // Same id, same offsets, same plaintext: only the salt differs, and so does every payload byte run.
        #expect(a.entries.map(\.offset) == b.entries.map(\.offset))
        let payloadA = Array(Self.frame(a.bytes, a.entries[0])[GrainFrameHeader.size...])
        let payloadB = Array(Self.frame(b.bytes, b.entries[0])[GrainFrameHeader.size...])
        #expect(payloadA != payloadB)
        #expect(zip(payloadA, payloadB).filter { $0 == $1 }.count < payloadA.count / 8)
    }

    @Test("a sealed object opens only under its own name, and its plaintext is not in its bytes",
          arguments: [PayloadAlgorithm.chacha20Poly1305, .aes256GCM])
    func sealedObjectsAreBoundToTheirNames(algorithm: PayloadAlgorithm) throws {
        let plain = Array("host=secret-host paths=/home/secret-path".utf8)
        let name = "snapshots/" + String(repeating: "a", count: 64)
        let sealed = try SealedObject.seal(plain, name: name, algorithm: algorithm, masterKey: Self.masterKey,
                                           salt: SplitMix64.bytes(32, seed: 97))
        #expect(try SealedObject.open(sealed, name: name, algorithm: algorithm, masterKey: Self.masterKey) == plain)
        #expect(throws: CodecError.self, "renamed") {
            try SealedObject.open(sealed, name: "snapshots/" + String(repeating: "b", count: 64), algorithm: algorithm,
                                  masterKey: Self.masterKey)
        }
        #expect(throws: CodecError.self, "another basin's master key") {
            try SealedObject.open(sealed, name: name, algorithm: algorithm, masterKey: SplitMix64.bytes(32, seed: 98))
        }
        #expect(!sealed.containsBytes(Array("secret".utf8)))
    }
}
