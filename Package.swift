// swift-tools-version: 6.1
import PackageDescription

// BLAKE3's SIMD kernels need an ISA flag at build time (Swift takes target features from the
// Clang importer). They live in their own small targets, chosen at run time from the CPU's
// features, so one binary runs everywhere. `unsafeFlags` keep this package usable only as a
// root or path dependency; BASIN_PORTABLE=1 builds without them (portable kernel only).
let portable = Context.environment["BASIN_PORTABLE"] == "1"
#if arch(x86_64)
let simdFlags: [String: [String]] = portable ? [:] : [
    "BLAKE3AVX512": ["-Xcc", "-mavx512f", "-Xcc", "-mavx512vl"],
    "BLAKE3AVX2": ["-Xcc", "-mavx2"],
]
#else
let simdFlags: [String: [String]] = [:]
#endif

// The kernels are optimized in debug builds too: unoptimized SIMD code runs ~1000× slower,
// which would make tests on megabytes of input crawl.
func kernelSettings(_ name: String) -> [SwiftSetting] {
    guard let flags = simdFlags[name] else { return [] }
    return [.unsafeFlags(flags + ["-O"]), .define("BASIN_SIMD_ENABLED")]
}

let package = Package(
    name: "Basin",
    products: [
        // The one library product: `import BasinKit` opens, creates and uses a basin. The layers
        // below are targets of this package only (their internals are `package`).
        .library(name: "BasinKit", targets: ["BasinKit"]),
        .executable(name: "basin", targets: ["basin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLinuxSys"),
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .target(name: "BLAKE3AVX512", swiftSettings: kernelSettings("BLAKE3AVX512")),
        .target(name: "BLAKE3AVX2", swiftSettings: kernelSettings("BLAKE3AVX2")),
        .target(
            name: "BasinCore",
            dependencies: [
                "CZstd", "CXXHash", "BLAKE3AVX512", "BLAKE3AVX2",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The contract every place a basin's objects live must keep (Backend, BasinError) and
        // what backends share (object names, the async semaphore). No file or network I/O:
        // the backends above it bring their own.
        .target(name: "BasinBackend"),
        // The one system-call layer: swift-system's FileDescriptor plus the Linux calls it
        // lacks, each retrying EINTR and failing with one SystemError naming call and path.
        .target(
            name: "BasinSystem",
            dependencies: ["CLinuxSys", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // Objects as files in a local directory, written durably without replacing any.
        .target(
            name: "BasinLocal",
            dependencies: [
                "BasinBackend", "BasinSystem",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "BasinStore",
            dependencies: [
                "BasinCore", "BasinBackend",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "BasinSnapshots",
            dependencies: [
                "BasinCore", "BasinBackend", "BasinStore", "BasinSystem",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // S3-compatible object stores: the other Backend, beside BasinLocal; the CLI wires both in.
        .target(
            name: "BasinS3",
            dependencies: [
                "BasinBackend",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The library's front door: opens a basin by location (a directory or s3:) and uses it as
        // a key/value store; re-exports the few types a user handles. The CLI opens basins
        // through it too.
        .target(name: "BasinKit", dependencies: ["BasinCore", "BasinBackend", "BasinLocal", "BasinStore", "BasinS3", "BasinSystem",
                                              .product(name: "SystemPackage", package: "swift-system")]),
        .executableTarget(
            name: "basin",
            dependencies: [
                "BasinCore", "BasinBackend", "BasinLocal", "BasinStore", "BasinSnapshots", "BasinS3", "BasinKit", "BasinSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Checks and fixtures shared by test targets: seeded bytes, error expectations, the
        // Backend conformance suite every backend runs, tree generator and comparer.
        .target(name: "BasinTestSupport", dependencies: ["BasinCore", "BasinBackend", "BasinLocal", "BasinStore", "BasinSnapshots", "BasinSystem",
                                                  .product(name: "SystemPackage", package: "swift-system")],
                path: "Tests/BasinTestSupport"),
        // Golden strata and the official BLAKE3 vectors are data the tests read beside their
        // sources (#filePath), not resources to bundle.
        .testTarget(name: "BasinCoreTests", dependencies: ["BasinCore", "BasinTestSupport"],
                    exclude: ["Golden", "Vectors"]),
        .testTarget(name: "BasinSystemTests", dependencies: ["BasinSystem", "BasinTestSupport",
                                                      .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(name: "BasinStoreTests", dependencies: ["BasinStore", "BasinBackend", "BasinLocal", "BasinCore", "BasinSystem", "BasinTestSupport",
                                                     .product(name: "SystemPackage", package: "swift-system")]),
        .testTarget(name: "BasinS3Tests", dependencies: ["BasinS3", "BasinBackend", "BasinStore", "BasinCore", "BasinTestSupport"]),
        .testTarget(name: "BasinSnapshotsTests", dependencies: ["BasinSnapshots", "BasinBackend", "BasinLocal", "BasinStore", "BasinCore", "BasinSystem", "BasinKit",
                                                         "BasinTestSupport", .product(name: "SystemPackage", package: "swift-system")]),
        // BasinKit as a library user sees it (the README's example is compiled here), with the
        // shared test helpers.
        .testTarget(name: "BasinKitTests", dependencies: ["BasinKit", "BasinTestSupport"]),
        .testTarget(name: "BasinCLITests", dependencies: ["BasinCore", "BasinBackend", "BasinLocal", "BasinStore", "BasinSnapshots", "BasinTestSupport"]),
        // The store as an embedded key/value store, timed beside SQLite by scripts/bench-kv.sh.
        .executableTarget(name: "basin-kvbench", dependencies: ["BasinKit"], path: "Benchmarks/KVBench"),
        .executableTarget(
            name: "BasinBenchmarks",
            dependencies: [
                "BasinCore", "BasinBackend", "BasinLocal", "BasinStore", "BasinTestSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/BasinBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

// The libFuzzer harness (scripts/fuzz.sh) exists only when BASIN_FUZZ=1: it defines
// LLVMFuzzerTestOneInput instead of main, so it links only under `--sanitize fuzzer`.
if Context.environment["BASIN_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "BasinFuzz",
            dependencies: ["BasinCore", "BasinBackend", "BasinStore", "BasinSnapshots", "BasinS3"],
            path: "Fuzz/BasinFuzz"
        )
    )
    package.products.append(.executable(name: "BasinFuzz", targets: ["BasinFuzz"]))
}
