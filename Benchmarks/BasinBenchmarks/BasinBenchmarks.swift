import Benchmark
import BasinCore

let benchmarks: @Sendable () -> Void = {
    Benchmark("noop") { benchmark in
        blackHole(BasinCoreVersion.string)
    }
    blake3Benchmarks()
}
