import Benchmark
import BasinCore

let benchmarks: @Sendable () -> Void = {
    blake3Benchmarks()
    registerCoreBenchmarks()
    registerBackendBenchmarks()
    registerIndexBenchmarks()
    registerStoreBenchmarks()
}
