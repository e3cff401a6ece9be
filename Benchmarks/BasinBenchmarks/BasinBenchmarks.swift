import Benchmark
import BasinCore

let benchmarks: @Sendable () -> Void = {
    registerBackendBenchmarks()
    Benchmark("noop") { benchmark in
        blackHole(BasinCoreVersion.string)
    }
    registerCoreBenchmarks()
    registerStoreBenchmarks()
    registerIndexBenchmarks()
}
