import BasinCore
import Testing

@Suite struct FastCDCTests {
    typealias RNG = CoreTestSupport.SplitMix64

    static let small = try! FastCDCParameters(minSize: 256, averageSize: 1024, maxSize: 8192)

    // MARK: Parameters

    @Test func defaultParameters() {
        let parameters = FastCDCParameters.default
        #expect((parameters.minSize, parameters.averageSize, parameters.maxSize) == (512 << 10, 1 << 20, 8 << 20))
    }

    @Test func parametersAreValidated() throws {
        #expect(throws: FastCDCParameterError.minSizeTooSmall(63)) {
            try FastCDCParameters(minSize: 63, averageSize: 1024, maxSize: 4096)
        }
        #expect(throws: FastCDCParameterError.notOrdered(minSize: 2048, averageSize: 1024, maxSize: 4096)) {
            try FastCDCParameters(minSize: 2048, averageSize: 1024, maxSize: 4096)
        }
        #expect(throws: FastCDCParameterError.notOrdered(minSize: 256, averageSize: 1024, maxSize: 512)) {
            try FastCDCParameters(minSize: 256, averageSize: 1024, maxSize: 512)
        }
        #expect(throws: FastCDCParameterError.averageNotPowerOfTwo(1000)) {
            try FastCDCParameters(minSize: 256, averageSize: 1000, maxSize: 4096)
        }
        #expect(throws: FastCDCParameterError.maxSizeTooLarge((1 << 30) + 1)) {
            try FastCDCParameters(minSize: 256, averageSize: 1024, maxSize: (1 << 30) + 1)
        }
        let edge = try FastCDCParameters(minSize: 64, averageSize: 64, maxSize: 64)
        #expect(FastCDC(parameters: edge).chunkLengths([UInt8](repeating: 1, count: 200)) == [64, 64, 64, 8])
        _ = try FastCDCParameters(minSize: 1 << 20, averageSize: 1 << 30, maxSize: 1 << 30)
    }

    // MARK: Cut points

    @Test func shortBuffersAreOneChunk() {
        let chunker = FastCDC(parameters: Self.small)
        #expect(chunker.cut([]) == 0)
        #expect(chunker.cut([UInt8](repeating: 7, count: 256)) == 256)
        #expect(chunker.chunkLengths([]) == [])
        #expect(chunker.chunkLengths([UInt8](repeating: 7, count: 100)) == [100])
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func chunksStayWithinBoundsAndConcatenate(seed: UInt64) throws {
        var rng = RNG(seed: seed)
        let parameters = try FastCDCParameters(minSize: 64 << Int(seed % 3), averageSize: 512 << Int(seed % 3), maxSize: 2048 << Int(seed % 4))
        let chunker = FastCDC(parameters: parameters)
        let input = rng.bytes(300_000 + Int(rng.next() % 10_000))
        let lengths = chunker.chunkLengths(input)
        #expect(lengths.reduce(0, +) == input.count, "seed \(seed)")
        for length in lengths.dropLast() {
            #expect(length > parameters.minSize && length <= parameters.maxSize, "seed \(seed): \(length)")
        }
        #expect(lengths.last! > 0 && lengths.last! <= parameters.maxSize)
        // Random data cuts near the average: a sanity check on the masks.
        let mean = Double(input.count) / Double(lengths.count)
        let average = Double(parameters.averageSize)
        #expect(mean > average / 2 && mean < average * 2, "seed \(seed): mean \(mean)")
    }

    @Test func cutIgnoresBytesAfterTheCut() {
        var rng = RNG(seed: 11)
        let chunker = FastCDC(parameters: Self.small)
        let input = rng.bytes(20_000)
        let first = chunker.cut(input)
        #expect(first < Self.small.maxSize)  // a real cut point, not the max
        var changed = input
        for index in first..<changed.count { changed[index] ^= 0x5A }
        #expect(chunker.cut(changed) == first)
        #expect(chunker.cut(Array(input.prefix(first))) == first)
    }

    @Test func firstMinBytesAreNotHashed() {
        var rng = RNG(seed: 12)
        let chunker = FastCDC(parameters: Self.small)
        var input = rng.bytes(20_000)
        let first = chunker.cut(input)
        for index in 0..<Self.small.minSize { input[index] = UInt8(truncatingIfNeeded: index) }
        #expect(chunker.cut(input) == first)
    }

    @Test func uniformInputCutsIdentically() {
        // Every chunk starts from the same state, so every chunk but the last has one length.
        let chunker = FastCDC(parameters: Self.small)
        for value in [0, 0xFF] as [UInt8] {
            let lengths = chunker.chunkLengths([UInt8](repeating: value, count: 100_000))
            #expect(Set(lengths.dropLast()).count == 1)
        }
    }

    /// An insertion or deletion changes only the chunks around it: the chunks wholly before it
    /// are untouched, and after it cutting re-synchronises on the original boundaries (shifted
    /// by the edit's size), from which point every boundary is the original one.
    ///
    /// How soon it re-synchronises is a property of normalized chunking: the chunk that ends
    /// after the edit lands on an original boundary about half the time, and each further chunk
    /// again about half the time (measured: 1 chunk 45 %, ≤ 3 chunks 80 %, rare tails past 10).
    @Test func editsOnlyChangeNearbyChunks() {
        let chunker = FastCDC(parameters: Self.small)
        var chunksAfterEdit: [Int] = []
        for round in 0..<40 {
            let seed = UInt64(1000 + round)
            var rng = RNG(seed: seed)
            let original = rng.bytes(1 << 20)
            let offset = 200_000 + Int(rng.next() % 600_000)
            let size = 1 + Int(rng.next() % 5000)
            var edited = original
            let delta: Int
            if round % 2 == 0 {
                edited.insert(contentsOf: rng.bytes(size), at: offset)
                delta = size
            } else {
                edited.removeSubrange(offset..<(offset + size))
                delta = -size
            }
            let editEnd = offset + max(delta, 0)  // end of the edit in the edited input

            let before = boundaries(chunker.chunkLengths(original))
            let after = boundaries(chunker.chunkLengths(edited))

            // Every chunk that ends at or before the edit is unchanged.
            let untouched = before.filter { $0 <= offset }
            #expect(Array(after.prefix(untouched.count)) == untouched, "seed \(seed)")

            // The first boundary after the edit that is an original one, shifted.
            let shiftedOriginal = Set(before.filter { $0 > offset + max(-delta, 0) }.map { $0 + delta })
            guard let resync = after.firstIndex(where: { $0 >= editEnd && shiftedOriginal.contains($0) }) else {
                Issue.record("seed \(seed): never re-synchronised")
                continue
            }
            // From there on, every boundary is the original one.
            let tailAfter = Array(after[resync...])
            let tailBefore = before.map { $0 + delta }.filter { $0 >= after[resync] }
            #expect(tailAfter == tailBefore, "seed \(seed)")
            // Chunks of the edited input ending between the edit's end and the re-synchronisation.
            let count = after[..<(resync + 1)].filter { $0 >= editEnd }.count
            #expect(count <= 12, "seed \(seed): \(count) chunks after the edit")
            chunksAfterEdit.append(count)
        }
        let mean = Double(chunksAfterEdit.reduce(0, +)) / Double(max(chunksAfterEdit.count, 1))
        #expect(mean <= 3, "mean chunks to re-synchronise: \(mean)")
        #expect(chunksAfterEdit.filter { $0 == 1 }.count >= 10)  // often immediately
    }

    private func boundaries(_ lengths: [Int]) -> [Int] {
        var total = 0
        return lengths.map { total += $0; return total }
    }

    // MARK: Golden boundaries

    /// FNV-1a (64-bit) over each length written as 8 little-endian bytes, as the reference script does.
    private func fnv1a64(_ lengths: [Int]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for length in lengths {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash = (hash ^ UInt64(truncatingIfNeeded: length >> shift) & 0xFF) &* 0x100_0000_01B3
            }
        }
        return hash
    }

    /// Pins the chunking format: deduplication across versions depends on these boundaries never
    /// changing. The expected values come from `scripts/fastcdc_reference.py golden`, an
    /// independent Python implementation of the spec in `FastCDC`'s doc comment, over 32 MiB of
    /// SplitMix64(seed 1) output.
    @Test func goldenBoundaries() throws {
        var rng = RNG(seed: 1)
        let input = rng.bytes(32 << 20)

        let small = FastCDC(parameters: try FastCDCParameters(minSize: 2048, averageSize: 8192, maxSize: 65536)).chunkLengths(input)
        #expect(small.count == 3560)
        #expect(fnv1a64(small) == 0x83EA_5137_8547_955A)
        #expect(Array(small.prefix(16)) == [8661, 11476, 9092, 6238, 11785, 8325, 8215, 17181, 8906, 12968, 8522, 11214, 3856, 12257, 15163, 9480])
        #expect(Array(small.suffix(4)) == [9483, 8381, 12887, 1242])

        let standard = FastCDC(parameters: .default).chunkLengths(input)
        #expect(standard == [
            1_094_924, 1_285_123, 1_094_947, 1_237_043, 1_233_947, 1_373_774, 1_502_120, 1_595_472, 1_143_866, 1_458_212,
            1_398_581, 596_669, 1_137_454, 1_619_353, 1_055_326, 1_119_401, 1_263_307, 1_251_917, 1_055_857, 927_887,
            1_181_589, 1_148_483, 948_695, 1_840_813, 1_305_020, 759_025, 1_088_344, 837_283,
        ])
        #expect(fnv1a64(standard) == 0x8D7C_8045_BAE3_8144)
    }
}
