import BasinLocal
import BasinStore
import Benchmark
import Foundation
import Synchronization

/// LocalBackend throughput: durable writes of 16 MiB objects (temporary file, fsync, rename,
/// directory fsync) and 64 KiB (and 4 KiB) ranged reads at random offsets of a page-cached
/// 16 MiB object. Files go
/// to `$BASIN_BENCH_DIR` or the system's temporary directory, which should be a real disk for
/// the fsync figures to mean anything.
func registerBackendBenchmarks() {
    let objectSize = 16 << 20
    let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    let scratch = ScratchBasin()

    Benchmark(
        "LocalBackend write 16 MiB object (fsync)",
        configuration: .init(
            metrics: [.wallClock, .throughput, megabytesPerSecond],
            warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 25
        ),
        closure: { benchmark in
            let backend = try scratch.backend()
            let bytes = scratch.payload(objectSize)
            let name = "data/bench/\(UUID().uuidString)"
            let start = ContinuousClock.now
            benchmark.startMeasurement()
            try await backend.write(name, bytes: bytes)
            benchmark.stopMeasurement()
            benchmark.measurement(megabytesPerSecond, megabytes(objectSize, in: ContinuousClock.now - start))
            try await backend.delete(name)
        },
        teardown: { scratch.remove() }
    )

    Benchmark(
        "LocalBackend streamed upload 16 MiB in 1 MiB appends (fsync)",
        configuration: .init(
            metrics: [.wallClock, .throughput, megabytesPerSecond],
            warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 25
        ),
        closure: { benchmark in
            let backend = try scratch.backend()
            let piece = Array(scratch.payload(objectSize).prefix(1 << 20))
            let name = "data/bench/\(UUID().uuidString)"
            let start = ContinuousClock.now
            benchmark.startMeasurement()
            let upload = try await backend.beginWrite(name)
            for _ in 0..<(objectSize / piece.count) { try await upload.append(piece) }
            try await upload.commit()
            benchmark.stopMeasurement()
            benchmark.measurement(megabytesPerSecond, megabytes(objectSize, in: ContinuousClock.now - start))
            try await backend.delete(name)
        },
        teardown: { scratch.remove() }
    )

    // The same reads on the caller's thread and through the blocking-I/O queue: the price of
    // the hop, which sets LocalBackend.readOffloadThreshold.
    for (readSize, offloaded) in [(64 << 10, false), (64 << 10, true), (4 << 10, false), (4 << 10, true)] {
        Benchmark(
            "LocalBackend ranged read \(readSize >> 10) KiB at random offsets\(offloaded ? " (offloaded)" : "")",
            configuration: .init(
                metrics: [.wallClock, .throughput, megabytesPerSecond],
                scalingFactor: .kilo, maxDuration: .seconds(5), maxIterations: 50
            ),
            closure: { benchmark in
                var backend = try scratch.backend()
                if offloaded { backend.readOffloadThreshold = 0 }
                try await scratch.ensureReadObject(objectSize)
                var generator = SystemRandomNumberGenerator()
                let offsets = benchmark.scaledIterations.map { _ in
                    Int.random(in: 0...(objectSize - readSize), using: &generator)
                }
                let start = ContinuousClock.now
                benchmark.startMeasurement()
                for offset in offsets {
                    blackHole(try await backend.read("data/bench-read/object", range: offset..<(offset + readSize)))
                }
                benchmark.stopMeasurement()
                benchmark.measurement(megabytesPerSecond, megabytes(readSize * offsets.count, in: ContinuousClock.now - start))
            },
            teardown: { scratch.remove() }
        )
    }
}

private func megabytes(_ bytes: Int, in duration: Duration) -> Int {
    let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    return Int((Double(bytes) / 1e6 / seconds).rounded())
}

/// A basin directory shared by the backend benchmarks, created on first use and removed by
/// their teardowns.
private final class ScratchBasin: Sendable {
    private struct State {
        var directory: String?
        var payload: [UInt8] = []
        var readObjectWritten = false
    }

    private let state = Mutex(State())

    func backend() throws -> LocalBackend {
        let directory = state.withLock { state in
            if let directory = state.directory { return directory }
            let base = ProcessInfo.processInfo.environment["BASIN_BENCH_DIR"]
                ?? FileManager.default.temporaryDirectory.path
            let directory = base + "/basin-bench-\(UUID().uuidString)"
            state.directory = directory
            return directory
        }
        return try LocalBackend(directory: directory, create: true)
    }

    /// Incompressible bytes, made once.
    func payload(_ count: Int) -> [UInt8] {
        state.withLock { state in
            if state.payload.count < count {
                var generator = SystemRandomNumberGenerator()
                state.payload = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            return state.payload
        }
    }

    func ensureReadObject(_ size: Int) async throws {
        guard !state.withLock({ $0.readObjectWritten }) else { return }
        try await backend().write("data/bench-read/object", bytes: payload(size))
        state.withLock { $0.readObjectWritten = true }
    }

    func remove() {
        let directory = state.withLock { state in
            defer { state = State() }
            return state.directory
        }
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}
