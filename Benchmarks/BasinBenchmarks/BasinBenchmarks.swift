import Benchmark
import BasinCore

let benchmarks: @Sendable () -> Void = {
    registerIndexBenchmarks()
    Benchmark("noop") { benchmark in
        blackHole(BasinCoreVersion.string)
    }
}
