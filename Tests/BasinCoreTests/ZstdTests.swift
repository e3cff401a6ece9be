import BasinCore
import Testing

@Suite struct ZstdTests {
    typealias RNG = CoreTestSupport.SplitMix64

    static let sizes = [0, 1, 2, 13, 100, 1000, 4096, 65_535, 65_536, 65_537, 300_000, 1 << 20]

    @Test(arguments: sizes)
    func roundTripsRandomAndTextLike(size: Int) throws {
        var rng = RNG(seed: UInt64(size) &+ 1)
        for input in [rng.bytes(size), CoreTestSupport.textLike(size, seed: UInt64(size))] {
            let frame = try Zstd.compress(input)
            #expect(try Zstd.decompress(frame, maxSize: size) == input)
            let viaPointer = try frame.withUnsafeBytes { try Zstd.decompress($0, maxSize: size + 10) }
            #expect(viaPointer == input)
        }
    }

    @Test func compressesTextAndLevelsRoundTrip() throws {
        let text = CoreTestSupport.textLike(200_000, seed: 3)
        for level: Int32 in [-5, 1, 3, 9, 19, 100] {  // 100 is clamped by zstd
            let frame = try Zstd.compress(text, level: level)
            #expect(frame.count < text.count / 2, "level \(level)")
            #expect(try Zstd.decompress(frame, maxSize: text.count) == text)
        }
    }

    /// One-shot calls reuse compression contexts: a frame depends on its input and level only,
    /// never on what a context compressed before, at which level.
    @Test func reusedContextsGiveTheSameFrames() throws {
        let text = CoreTestSupport.textLike(300_000, seed: 4)
        let small = CoreTestSupport.textLike(5000, seed: 5)
        let first = try (Zstd.compress(text, level: 1), Zstd.compress(small, level: 19))
        for _ in 0..<3 {
            let strong = try Zstd.compress(text, level: 19)
            let fast = try Zstd.compress(text, level: 1)
            #expect(fast == first.0)
            #expect(try Zstd.compress(small, level: 19) == first.1)
            #expect(strong.count < fast.count)
            #expect(try Zstd.decompress(fast, maxSize: text.count) == text)
            #expect(try Zstd.decompress(strong, maxSize: text.count) == text)
        }
    }

    @Test func emptyInputIsAFrameButNoBytesAreNot() throws {
        let frame = try Zstd.compress([])
        #expect(!frame.isEmpty)
        #expect(try Zstd.decompress(frame, maxSize: 0) == [])
        #expect(throws: CodecError.self) { try Zstd.decompress([], maxSize: 100) }
    }

    @Test func garbageIsRejected() throws {
        var rng = RNG(seed: 5)
        for size in [1, 3, 4, 10, 100, 5000] {
            let garbage = rng.bytes(size)
            #expect(throws: CodecError.self, "size \(size)") { try Zstd.decompress(garbage, maxSize: 1 << 20) }
        }
        #expect(throws: CodecError.badMagic(offset: 0)) { try Zstd.decompress([1, 2, 3, 4, 5, 6, 7, 8], maxSize: 100) }
    }

    @Test func corruptedFramesNeverTrap() throws {
        // Flip bytes all over a valid frame: every result must be an error or some bytes within
        // the bound, never a crash (zstd frames without checksums may decode corrupted literals).
        let input = CoreTestSupport.textLike(20_000, seed: 8)
        let frame = try Zstd.compress(input)
        var rng = RNG(seed: 9)
        var errors = 0
        for _ in 0..<300 {
            var corrupted = frame
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                corrupted[Int(rng.next() % UInt64(corrupted.count))] ^= UInt8(1 + rng.next() % 255)
            }
            do {
                let output = try Zstd.decompress(corrupted, maxSize: input.count)
                #expect(output.count <= input.count)
            } catch {
                errors += 1
            }
        }
        #expect(errors > 0)
    }

    @Test func truncatedFramesAreRejected() throws {
        var rng = RNG(seed: 6)
        let input = rng.bytes(10_000) + CoreTestSupport.textLike(10_000, seed: 6)
        let frame = try Zstd.compress(input)
        for length in [0, 1, 3, 4, 5, 8, frame.count / 2, frame.count - 1] {
            let cut = Array(frame.prefix(length))
            #expect(throws: CodecError.self, "length \(length)") { try Zstd.decompress(cut, maxSize: input.count) }
        }
        do {
            _ = try Zstd.decompress(Array(frame.prefix(frame.count - 1)), maxSize: input.count)
        } catch let error {
            guard case .truncated = error else { Issue.record("expected truncated, got \(error)"); return }
        }
    }

    @Test func trailingGarbageIsRejected() throws {
        let frame = try Zstd.compress(Array("hello".utf8))
        #expect(throws: CodecError.self) { try Zstd.decompress(frame + [0xAB, 0xCD, 0xEF, 0x01], maxSize: 100) }
        #expect(try Zstd.decompress(frame + frame, maxSize: 10) == Array("hellohello".utf8))
    }

    @Test func maxSizeIsEnforced() throws {
        let input = CoreTestSupport.textLike(50_000, seed: 7)
        let frame = try Zstd.compress(input)  // declares its content size
        #expect(throws: CodecError.lengthOverflow(offset: 0, value: 50_000)) { try Zstd.decompress(frame, maxSize: 49_999) }
        #expect(try Zstd.decompress(frame, maxSize: 50_000) == input)

        // A frame without a declared size (streamed) is bounded while decoding.
        let compressor = try ZstdCompressor()
        let streamed = try compressor.compress(input, .end)
        for maxSize in [0, 1, 49_999] {
            #expect(throws: CodecError.self, "maxSize \(maxSize)") { try Zstd.decompress(streamed, maxSize: maxSize) }
        }
        #expect(try Zstd.decompress(streamed, maxSize: 50_000) == input)

        // A small frame that expands enormously is stopped at the bound, not decoded whole.
        let bomb = try ZstdCompressor().compress([UInt8](repeating: 0, count: 64 << 20), .end)
        #expect(bomb.count < 10_000)
        #expect(throws: CodecError.self) { try Zstd.decompress(bomb, maxSize: 1 << 20) }
    }

    @Test func hugeDeclaredSizeIsNotTrusted() {
        // A bare frame header (single segment, 8-byte content size) claiming 2^60 bytes: even
        // with no bound from the caller, nothing that size is allocated; the frame is refused.
        let header: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0x10]
        #expect(throws: CodecError.self) { try Zstd.decompress(header, maxSize: .max) }
        #expect(throws: CodecError.lengthOverflow(offset: 0, value: 1 << 60)) { try Zstd.decompress(header, maxSize: 1 << 20) }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func streamCompressionIsDecompressibleOneShot(seed: UInt64) throws {
        var rng = RNG(seed: seed)
        let input = CoreTestSupport.textLike(300_000, seed: seed) + rng.bytes(200_000)
        let compressor = try ZstdCompressor(level: 3)
        var frame: [UInt8] = []
        var offset = 0
        while offset < input.count {
            let size = min(input.count - offset, Int(rng.next() % 70_000))
            let directive: ZstdCompressor.Directive = rng.next() % 7 == 0 ? .flush : .continue
            frame += try compressor.compress(input[offset..<(offset + size)].map { $0 }, directive)
            offset += size
        }
        frame += try compressor.compress([], .end)
        #expect(try Zstd.decompress(frame, maxSize: input.count) == input)

        // The compressor starts a fresh frame after `.end`.
        let second = try compressor.compress(Array("again".utf8), .end)
        #expect(try Zstd.decompress(second, maxSize: 5) == Array("again".utf8))
    }

    @Test(arguments: [1, 2] as [UInt64])
    func streamDecompressionMatchesInput(seed: UInt64) throws {
        var rng = RNG(seed: seed)
        let input = CoreTestSupport.textLike(400_000, seed: seed)
        let frame = try Zstd.compress(input)
        let decompressor = try ZstdDecompressor(maxSize: input.count)
        var output: [UInt8] = []
        var offset = 0
        while offset < frame.count {
            let size = min(frame.count - offset, Int(rng.next() % 5000))
            output += try decompressor.decompress(frame[offset..<(offset + size)].map { $0 })
            offset += size
        }
        try decompressor.finish()
        #expect(output == input)
    }

    @Test func streamDecompressionReportsTruncationAndBound() throws {
        let input = CoreTestSupport.textLike(100_000, seed: 4)
        let frame = try Zstd.compress(input)

        let truncated = try ZstdDecompressor(maxSize: input.count)
        _ = try truncated.decompress(Array(frame.prefix(frame.count - 3)))
        #expect(throws: CodecError.self) { try truncated.finish() }

        let bounded = try ZstdDecompressor(maxSize: 1000)
        #expect(throws: CodecError.self) { _ = try bounded.decompress(frame) }
        // Once failed, it stays failed.
        #expect(throws: CodecError.self) { _ = try bounded.decompress([]) }
        #expect(throws: CodecError.self) { try bounded.finish() }

        let fresh = try ZstdDecompressor(maxSize: 10)
        #expect(throws: CodecError.truncated(offset: 0, needed: 4)) { try fresh.finish() }
    }
}
