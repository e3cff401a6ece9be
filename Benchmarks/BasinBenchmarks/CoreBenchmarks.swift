import BasinCore
import Benchmark

/// Throughput of the BasinCore primitives other than BLAKE3: FastCDC, zstd, AEAD, XXH32.
/// Each reports a custom "MB/s" metric (10^6 bytes per second of input) next to wall clock.
///
/// Operations that return fresh 1 MiB arrays are dominated by page faults under glibc's default
/// malloc policy (freed memory goes back to the kernel and is faulted in again): AES-GCM seal
/// measures ~0.8 GB/s that way and ~7.4 GB/s with
/// `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=134217728:glibc.malloc.trim_threshold=268435456`.
func registerCoreBenchmarks() {
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, CoreBench.megabytesPerSecond],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 50
    )

    Benchmark("FastCDC cut 64 MiB random (default params)", configuration: configuration) { benchmark, input in
        let chunker = FastCDC(parameters: .default)
        CoreBench.measure(benchmark, bytes: input.count) {
            blackHole(input.withUnsafeBytes { chunker.chunkLengths($0) })
        }
    } setup: {
        CoreBench.randomBytes(64 << 20, seed: 1)
    }

    Benchmark("FastCDC Chunker stream 64 MiB random (1 MiB reads)", configuration: configuration) { benchmark, input in
        CoreBench.measure(benchmark, bytes: input.count) {
            var chunker = Chunker(parameters: .default, readSize: 1 << 20)
            var offset = 0
            while let chunk = chunker.next(read: { buffer in
                let count = min(buffer.count, input.count - offset)
                input.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
                offset += count
                return count
            }) {
                blackHole(chunk)
            }
        }
    } setup: {
        CoreBench.randomBytes(64 << 20, seed: 2)
    }

    for (kind, makeInput) in [("text-like", CoreBench.textLike), ("random", CoreBench.randomBytes)] {
        Benchmark("zstd-3 compress 16 x 1 MiB \(kind)", configuration: configuration) { benchmark, pieces in
            CoreBench.measure(benchmark, bytes: pieces.count << 20) {
                for piece in pieces { blackHole(try! Zstd.compress(piece, level: 3)) }
            }
        } setup: {
            (0..<16).map { makeInput(1 << 20, UInt64($0)) }
        }

        Benchmark("zstd-3 decompress 16 x 1 MiB \(kind)", configuration: configuration) { benchmark, frames in
            CoreBench.measure(benchmark, bytes: frames.count << 20) {
                for frame in frames { blackHole(try! Zstd.decompress(frame, maxSize: 1 << 20)) }
            }
        } setup: {
            try (0..<16).map { try Zstd.compress(makeInput(1 << 20, UInt64($0)), level: 3) }
        }
    }

    for algorithm in AEADAlgorithm.allCases {
        Benchmark("AEAD seal 1 MiB \(algorithm)", configuration: configuration) { benchmark, input in
            let key = try! AEADKey(bytes: [UInt8](repeating: 7, count: 32))
            CoreBench.measure(benchmark, bytes: input.count) {
                blackHole(try! AEAD.seal(input, key: key, nonce: AEAD.nonce(counter: 1), associatedData: [1, 2, 3], algorithm: algorithm))
            }
        } setup: {
            CoreBench.randomBytes(1 << 20, seed: 3)
        }

        Benchmark("AEAD open 1 MiB \(algorithm)", configuration: configuration) { (benchmark: Benchmark, sealed: [UInt8]) in
            let key = try! AEADKey(bytes: [UInt8](repeating: 7, count: 32))
            CoreBench.measure(benchmark, bytes: sealed.count - AEAD.tagByteCount) {
                blackHole(try! AEAD.open(sealed, key: key, nonce: AEAD.nonce(counter: 1), associatedData: [1, 2, 3], algorithm: algorithm))
            }
        } setup: {
            let key = try AEADKey(bytes: [UInt8](repeating: 7, count: 32))
            return try AEAD.seal(CoreBench.randomBytes(1 << 20, seed: 4), key: key, nonce: AEAD.nonce(counter: 1),
                                 associatedData: [1, 2, 3], algorithm: algorithm)
        }
    }

    Benchmark("XXH32 1 MiB", configuration: configuration) { benchmark, input in
        CoreBench.measure(benchmark, bytes: input.count) {
            blackHole(XXH32.hash(input))
        }
    } setup: {
        CoreBench.randomBytes(1 << 20, seed: 5)
    }
}

/// Inputs and the MB/s metric for ``registerCoreBenchmarks()``.
private enum CoreBench {
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

    /// Runs `body` once per scaled iteration and records the input rate it achieved.
    static func measure(_ benchmark: Benchmark, bytes: Int, _ body: () -> Void) {
        let clock = ContinuousClock()
        var iterations = 0
        let elapsed = clock.measure {
            for _ in benchmark.scaledIterations {
                body()
                iterations += 1
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        benchmark.measurement(megabytesPerSecond, Int(Double(bytes * iterations) / seconds / 1e6))
    }

    /// SplitMix64 output, little-endian: incompressible bytes.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words[index] = (z ^ (z >> 31)).littleEndian
        }
        return words.withUnsafeBytes { Array($0.prefix(count)) }
    }

    /// Words from a vocabulary of a few hundred, Zipf-ish, with punctuation and line breaks:
    /// compresses roughly like source code or logs (zstd -3 ≈ 3-4x).
    static func textLike(_ count: Int, seed: UInt64) -> [UInt8] {
        let random = randomBytes(count, seed: seed)
        let vocabulary: [[UInt8]] = (0..<400).map { index in
            let length = 2 + (index * 7919) % 9
            return (0..<length).map { UInt8(ascii: "a") + UInt8((index * 31 + $0 * 17) % 26) }
        }
        var out = [UInt8]()
        out.reserveCapacity(count + 16)
        var cursor = 0
        while out.count < count {
            let r = Int(random[cursor % random.count]) << 8 | Int(random[(cursor + 1) % random.count])
            cursor += 2
            // Squaring skews the choice toward the first words, as in natural text.
            out.append(contentsOf: vocabulary[(r * r) / (65_536 * 65_536 / vocabulary.count + 1)])
            out.append([UInt8(ascii: " "), UInt8(ascii: " "), UInt8(ascii: ","), UInt8(ascii: "\n")][Int(random[cursor % random.count]) & 3])
        }
        return Array(out.prefix(count))
    }
}
