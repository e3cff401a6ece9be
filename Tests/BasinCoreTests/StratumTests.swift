import Foundation
import BasinTestSupport
import Testing
@testable import BasinCore

/// Golden strata from the fixed inputs of `scripts/golden_format.py` (docs/FORMAT.md, §4).
enum GoldenStratum {
    static func build(algorithm: PayloadAlgorithm) throws -> [UInt8] {
        let header = StratumHeader(lane: .data, algorithm: algorithm, stratumID: GoldenFile.stratumID, salt: GoldenFile.stratumSalt)
        let cipher = try PayloadCipher(algorithm: algorithm, masterKey: GoldenFile.masterKey, salt: GoldenFile.stratumSalt)
        var builder = StratumBuilder(header: header, cipher: cipher)
        for value in GoldenFile.values {
            let key = GoldenFile.keyFunction(algorithm).key(of: value)
            try builder.append(PreparedGrain.prepare(kind: .blob, key: key, plain: value, compressionLevel: nil))
        }
        return try builder.finish()
    }

    static func file(_ algorithm: PayloadAlgorithm) -> String {
        "stratum-\(GoldenFile.algorithms.first { $0.algorithm == algorithm }!.label).hex"
    }
}

@Suite("Strata: codecs and golden bytes")
struct StratumTests {
    @Test("a stratum from fixed inputs equals the golden bytes written from the spec", arguments: PayloadAlgorithm.allCases)
    func goldenStratum(algorithm: PayloadAlgorithm) throws {
        let built = try GoldenStratum.build(algorithm: algorithm)
        #expect(Hex.encode(built) == Hex.encode(try GoldenFile.hex(GoldenStratum.file(algorithm)).bytes))
    }

    @Test("the annotated hexdump in docs/FORMAT.md is what the code writes")
    func formatDocumentHexdump() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/FORMAT.md").standardizedFileURL
        let document = try String(contentsOf: url, encoding: .utf8)
        let start = try #require(document.range(of: "```hexdump\n"), "FORMAT.md has no hexdump block")
        let end = try #require(document.range(of: "```", range: start.upperBound..<document.endIndex))
        var bytes: [UInt8] = []
        for line in document[start.upperBound..<end.lowerBound].split(separator: "\n") {
            // "0040: 6f 3b …  | comment": the bytes sit between the offset and the bar.
            let fields = line.split(separator: "|", maxSplits: 1)[0].split(separator: ":", maxSplits: 1)
            let offset = try #require(Int(fields[0].trimmingCharacters(in: .whitespaces), radix: 16))
            #expect(offset == bytes.count, "hexdump line at \(fields[0]) does not continue the previous one")
            for byte in fields[1].split(separator: " ") { bytes.append(try #require(UInt8(byte, radix: 16))) }
        }
        #expect(Hex.encode(bytes) == Hex.encode(try GoldenStratum.build(algorithm: .none)))
    }

    @Test("a committed golden stratum opens and returns its values", arguments: PayloadAlgorithm.allCases)
    func goldenStratumReads(algorithm: PayloadAlgorithm) throws {
        let bytes = try GoldenFile.hex(GoldenStratum.file(algorithm)).bytes
        let footerStart = bytes.count - StratumFooter.size
        let footer = try StratumFooter.decode(Array(bytes[footerStart...]), offset: footerStart, stratumSize: bytes.count)
        let header = try StratumHeader.decode(bytes)
        #expect(header.stratumID == GoldenFile.stratumID && footer.stratumID == GoldenFile.stratumID)
        let cipher = try PayloadCipher(algorithm: header.algorithm, masterKey: GoldenFile.masterKey, salt: header.salt)
        let indexStart = Int(footer.indexOffset)
        let entries = try StratumParser.readIndex(frame: Array(bytes[indexStart..<footerStart]), footer: footer, cipher: cipher)
        #expect(entries.count == GoldenFile.values.count)
        let keyFunction = GoldenFile.keyFunction(algorithm)
        for (entry, value) in zip(entries, GoldenFile.values) {
            let frame = Array(bytes[Int(entry.offset)..<Int(entry.offset + entry.length)])
            let grain = try StratumParser.readGrain(frame: frame, offset: Int(entry.offset), stratumID: header.stratumID,
                                                    cipher: cipher, keyFunction: keyFunction, expected: entry.key)
            #expect(grain.plain == value)
            #expect(entry.key == keyFunction.key(of: value))
        }
    }

    /// Builds a stratum of random values, compressed and encrypted.
    static func randomStratum(seed: UInt64, algorithm: PayloadAlgorithm = .chacha20Poly1305) throws
        -> (bytes: [UInt8], values: [[UInt8]], cipher: PayloadCipher, header: StratumHeader) {
        var generator = SplitMix64(seed: seed)
        let header = StratumHeader(lane: .data, algorithm: algorithm, stratumID: generator.next(), salt: generator.bytes(32))
        let cipher = try PayloadCipher(algorithm: algorithm, masterKey: generator.bytes(32), salt: header.salt)
        var builder = StratumBuilder(header: header, cipher: cipher)
        var values: [[UInt8]] = []
        for index in 0..<6 {
            let length = Int(generator.next() % 300)
            let value = index % 2 == 0 ? generator.bytes(length) : [UInt8](repeating: UInt8(index), count: length + 100)
            values.append(value)
            try builder.append(PreparedGrain.prepare(kind: .blob, key: KeyFunction.plain.key(of: value), plain: value, compressionLevel: 3))
        }
        return (try builder.finish(), values, cipher, header)
    }

    @Test("compressible grains are stored compressed and read back", arguments: [PayloadAlgorithm.none, .chacha20Poly1305, .aes256GCM])
    func roundTrip(algorithm: PayloadAlgorithm) throws {
        let stratum = try Self.randomStratum(seed: 7, algorithm: algorithm)
        let scan = try StratumParser.scan(stratum.bytes)
        #expect(scan.complete)
        #expect(scan.entries.count == stratum.values.count)
        #expect(scan.entries.contains { $0.flags & GrainFrameHeader.compressedFlag != 0 })
        for (entry, value) in zip(scan.entries, stratum.values) {
            let frame = Array(stratum.bytes[Int(entry.offset)..<Int(entry.offset + entry.length)])
            let grain = try StratumParser.readGrain(frame: frame, offset: Int(entry.offset), stratumID: stratum.header.stratumID,
                                                    cipher: stratum.cipher, keyFunction: .plain, expected: entry.key)
            #expect(grain.plain == value)
        }
    }

    @Test("a stratum cut off anywhere is recovered up to its last whole grain")
    func truncatedStrataScan() throws {
        let stratum = try Self.randomStratum(seed: 11)
        let full = try StratumParser.scan(stratum.bytes).entries
        for cut in StratumHeader.size..<stratum.bytes.count {
            let scan = try StratumParser.scan(Array(stratum.bytes[0..<cut]))
            #expect(!scan.complete)
            let whole = full.filter { Int($0.offset + $0.length) <= cut }
            #expect(scan.entries == whole, "cut at \(cut)")
        }
        for cut in 0..<StratumHeader.size {
            #expect(throws: CodecError.self) { try StratumParser.scan(Array(stratum.bytes[0..<cut])) }
        }
    }

    @Test("a flipped bit anywhere is caught by the frame, footer or index grain it falls in, and changes nothing else")
    func bitFlips() throws {
        let stratum = try Self.randomStratum(seed: 13)
        let entries = try StratumParser.scan(stratum.bytes).entries
        let footerStart = stratum.bytes.count - StratumFooter.size
        let footer = try StratumFooter.decode(Array(stratum.bytes[footerStart...]), offset: footerStart, stratumSize: stratum.bytes.count)
        let indexFrame = Int(footer.indexOffset)..<footerStart
        for bit in 0..<(stratum.bytes.count * 8) {
            var damaged = stratum.bytes
            let byte = bit / 8
            damaged[byte] ^= 1 << UInt8(bit % 8)
            for (entry, value) in zip(entries, stratum.values) {
                let range = Int(entry.offset)..<Int(entry.offset + entry.length)
                let read = { () throws(CodecError) in
                    try StratumParser.readGrain(frame: Array(damaged[range]), offset: Int(entry.offset), stratumID: stratum.header.stratumID,
                                                cipher: stratum.cipher, keyFunction: .plain, expected: entry.key)
                }
                if range.contains(byte) {
                    #expect(throws: CodecError.self, "bit \(bit) in the grain at \(entry.offset) went unnoticed") { try read() }
                } else {
                    #expect(try read().plain == value, "bit \(bit) outside the grain at \(entry.offset) changed it")
                }
            }
            // The footer covers all its bytes, the index grain's frame all of its own.
            let decodeFooter = { () throws(CodecError) in
                try StratumFooter.decode(Array(damaged[footerStart...]), offset: footerStart, stratumSize: damaged.count)
            }
            if byte >= footerStart {
                #expect(throws: CodecError.self, "bit \(bit) in the footer went unnoticed") { try decodeFooter() }
                continue
            }
            let readIndex = { () throws(CodecError) in
                try StratumParser.readIndex(frame: Array(damaged[indexFrame]), footer: try decodeFooter(), cipher: stratum.cipher)
            }
            if indexFrame.contains(byte) {
                #expect(throws: CodecError.self, "bit \(bit) in the index grain went unnoticed") { try readIndex() }
            } else {
                #expect(try readIndex() == entries, "bit \(bit) outside the index grain changed it")
            }
        }
    }

    @Test("garbage never traps the decoders")
    func garbage() throws {
        var generator = SplitMix64(seed: 99)
        for length in [0, 1, 8, 31, 32, 45, 46, 63, 64, 65, 200, 4096] {
            for _ in 0..<50 {
                let bytes = generator.bytes(length)
                _ = try? StratumHeader.decode(bytes)
                _ = try? StratumParser.scan(bytes)
                _ = try? StratumFooter.decode(bytes, offset: 0, stratumSize: bytes.count)
                _ = try? GrainFrameHeader.decode(frame: bytes, offset: 0)
                _ = try? StratumIndexGrain.decode(bytes, limit: 1 << 20)
                _ = try? Clast.decode(bytes)
            }
        }
        var header = StratumHeader(lane: .meta, algorithm: .none, stratumID: 5, salt: generator.bytes(32)).encoded()
        header[8] = 2
        #expect(throws: CodecError.unsupportedVersion(offset: 8, version: 2)) { try StratumHeader.decode(header) }
    }

    @Test("a grain claiming a plaintext longer than any frame is refused before anything is allocated")
    func plainLengthBeyondAnyFrame() throws {
        for (plainLength, refused) in [(UInt32(GrainFrameHeader.maxFrameLength), false), (1 << 28, true), (.max, true)] {
            let header = GrainFrameHeader(length: UInt32(GrainFrameHeader.size + 9), kind: .blob,
                                          flags: GrainFrameHeader.compressedFlag, key: Key(bytes: [UInt8](repeating: 7, count: 32))!,
                                          plainLength: plainLength)
            let afterChecksum = header.encodedAfterChecksum() + [UInt8](repeating: 0, count: 9)
            let checksum = XXH32.hash(afterChecksum)
            let frame = [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: checksum >> $0) } + afterChecksum
            if refused {
                #expect(throws: CodecError.lengthOverflow(offset: 42, value: UInt64(plainLength))) {
                    try GrainFrameHeader.decode(frame: frame, offset: 0)
                }
            } else {
                #expect(try GrainFrameHeader.decode(frame: frame, offset: 0) == header)
            }
        }
    }

    @Test("a footer whose index offset plus length overflows is refused, not a trap")
    func footerOffsetOverflow() {
        // Found by the fuzzer (scripts/fuzz.sh stratum): the footer of a 294-byte stratum, its
        // checksum repaired, naming an index grain at offset 2^64 - 1.
        let footer = StratumFooter(indexOffset: .max, indexLength: 0xFF_FFFF, grainCount: 3328, stratumID: 0x0123_4567_89AB_CD00)
        let bytes = footer.encoded()
        #expect(bytes == Hex.decode("ffffffffffffffffffffff00000d000000cdab8967452301e0beb29c42534e46"))
        #expect(throws: CodecError.lengthOverflow(offset: 262, value: .max)) {
            try StratumFooter.decode(bytes, offset: 262, stratumSize: 294)
        }
    }

    @Test("clasts round-trip and reject trailing bytes")
    func clasts() throws {
        var generator = SplitMix64(seed: 3)
        let clast = Clast(chunks: (0..<5).map { _ in Clast.Chunk(key: Key(bytes: generator.bytes(32))!, length: Int(generator.next() % 9_000_000)) })
        #expect(try Clast.decode(clast.encoded()) == clast)
        #expect(throws: CodecError.self) { try Clast.decode(clast.encoded() + [0]) }
        #expect(throws: CodecError.self) { try Clast.decode(Array(clast.encoded().dropLast())) }
    }
}

