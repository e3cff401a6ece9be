import Benchmark
import BasinCore

let benchmarks: @Sendable () -> Void = {
    registerBLAKE3Benchmarks()
    registerCoreBenchmarks()
    registerBackendBenchmarks()
    registerIndexBenchmarks()
    registerStoreBenchmarks()
    registerIndexBenchmarks()
}
