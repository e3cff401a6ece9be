import BasinCore
import Benchmark

/// BLAKE3 throughput for inputs from 64 B to 64 MiB (single-threaded, the kernel this CPU
/// picks), 64 MiB on two threads, and the portable kernel for comparison. Each benchmark also
/// reports `MB/s` (10^6 bytes per second of wall-clock time).
func blake3Benchmarks() {
    let sizes: [(label: String, bytes: Int, scaling: BenchmarkScalingFactor)] = [
        ("64 B", 64, .kilo), ("1 KiB", 1024, .kilo), ("64 KiB", 64 << 10, .one),
        ("1 MiB", 1 << 20, .one), ("64 MiB", 64 << 20, .one),
    ]
    for (label, bytes, scaling) in sizes {
        registerBLAKE3Benchmark("BLAKE3 hash \(label)", bytes: bytes, scaling: scaling) { input in
            BLAKE3.hash(input)
        }
    }
    registerBLAKE3Benchmark("BLAKE3 hash 64 MiB, 2 threads", bytes: 64 << 20, scaling: .one) { input in
        BLAKE3.hash(input, threads: 2)
    }
    registerBLAKE3Benchmark("BLAKE3 hash 1 MiB, portable kernel", bytes: 1 << 20, scaling: .one) { input in
        var hasher = BLAKE3Hasher().using(.portable)
        hasher.update(input)
        return hasher.finalize()
    }
}

private let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

private func registerBLAKE3Benchmark(
    _ name: String, bytes: Int, scaling: BenchmarkScalingFactor, hash: @escaping @Sendable ([UInt8]) -> [UInt8]
) {
    let input = (0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 10) }
    Benchmark(name, configuration: .init(metrics: [.wallClock, .throughput, megabytesPerSecond],
                                         scalingFactor: scaling, maxDuration: .seconds(2), maxIterations: 1000)) { benchmark in
        let clock = ContinuousClock()
        let start = clock.now
        for _ in benchmark.scaledIterations {
            blackHole(hash(input))
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let hashed = Double(bytes * benchmark.scaledIterations.count)
        benchmark.measurement(megabytesPerSecond, Int(hashed / seconds / 1e6))
    }
}
