import BasinBackend
import BasinCore
import BasinStore
import BasinTestSupport
import Benchmark
import Foundation

/// The store end to end, in memory (so the figures are the store's own CPU cost: hashing,
/// chunking, compression, encryption, framing, indexing): put throughput for values of 1 KiB,
/// 64 KiB and 4 MiB, and the latency of a random `get` of a committed 64 KiB value.
func registerStoreBenchmarks() {
    let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    let sizes: [(String, Int, Int)] = [("1 KiB", 1 << 10, 4096), ("64 KiB", 64 << 10, 256), ("4 MiB", 4 << 20, 8)]
    for (label, size, count) in sizes {
        // Half compressible text, half random bytes, as backups are.
        let values = (0..<count).map { index in storeBenchmarkValue(size, seed: UInt64(index)) }
        Benchmark(
            "Basin put \(label) values (encrypted, zstd 3, memory backend)",
            configuration: .init(metrics: [.wallClock, megabytesPerSecond], warmupIterations: 1,
                                 maxDuration: .seconds(10), maxIterations: 20)
        ) { benchmark in
            let basin = try await Basin.create(backend: MemoryBackend(), password: "bench", options: benchmarkOptions(), resolve: noResolver)
            let start = ContinuousClock.now
            benchmark.startMeasurement()
            for value in values { try await basin.writeValue(value) }
            try await basin.flush()
            benchmark.stopMeasurement()
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            benchmark.measurement(megabytesPerSecond, Int(Double(values.count * size) / 1e6 / seconds))
        }
    }

    let fixture = GetFixture()
    Benchmark(
        "Basin get random committed 64 KiB value",
        configuration: .init(metrics: [.wallClock], warmupIterations: 10, maxDuration: .seconds(5), maxIterations: 5000)
    ) { benchmark in
        let (basin, keys) = try await fixture.prepare()
        let key = keys[Int.random(in: 0..<keys.count)]
        benchmark.startMeasurement()
        blackHole(try await basin.get(key))
        benchmark.stopMeasurement()
    }
}

private func benchmarkOptions() -> BasinCreateOptions {
    var options = BasinCreateOptions()
    options.encryption = .chacha20Poly1305
    options.kdf = .testing
    return options
}

private let noResolver: BackendResolver = { location throws(BasinError) in
    throw BasinError(.notFound, location.location)
}

/// A basin with 512 committed 64 KiB values, built once.
private actor GetFixture {
    private var built: (Basin, [Key])?

    func prepare() async throws -> (Basin, [Key]) {
        if let built { return built }
        let backend = MemoryBackend()
        let basin = try await Basin.create(backend: backend, password: "bench", options: benchmarkOptions(), resolve: noResolver)
        var keys: [Key] = []
        for index in 0..<512 { keys.append(try await basin.writeValue(storeBenchmarkValue(64 << 10, seed: UInt64(10_000 + index)))) }
        try await basin.flush()
        let reopened = try await Basin.open(backend: backend, password: "bench", resolve: noResolver)
        built = (reopened, keys)
        return (reopened, keys)
    }
}

private func storeBenchmarkValue(_ size: Int, seed: UInt64) -> [UInt8] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: size)
    let words = Array("basin stratum grain clast lane key value backup restore ".utf8)
    for index in 0..<size {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = index < size / 2 ? words[Int(state % UInt64(words.count))] : UInt8(truncatingIfNeeded: state)
    }
    return bytes
}
