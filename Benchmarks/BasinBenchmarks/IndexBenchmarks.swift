import Benchmark
import BasinCore
import BasinStore
import Foundation
import Synchronization
import Glibc

// Index lookup latency, open time and resident memory per grain (docs/FORMAT.md §6, docs/ARCHITECTURE.md).
// The "Index 10M" benchmarks write a synthetic segment of 10 000 000 random keys (520 MB)
// once to the temporary directory and reuse it; scripts/bench-index.sh runs just them.

func registerIndexBenchmarks() {
    let lookups = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3))

    // Small enough for every run (1M entries, in memory).
    for (label, hits) in [("hit", true), ("miss", false)] {
        Benchmark("Index lookup \(label), 1M entries in memory", configuration: lookups) { benchmark in
            let fixture = IndexBenchFixture.million
            lookupLoop(benchmark, fixture.segment!, keys: hits ? fixture.hits : fixture.misses)
        }
    }

    // The 10M segment stays mapped only while its lookup benchmarks run, so the cold-open
    // benchmark can evict its pages from the page cache.
    let mapped = Mutex<MappedSegment?>(nil)
    let tenMillionLookups = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(3),
        setup: {
            let segment = try MappedSegment(mapping: IndexBenchFixture.tenMillion.path, name: "bench")
            mapped.withLock { $0 = segment }
        },
        teardown: { mapped.withLock { $0 = nil } })

    // Independent lookups: the CPU overlaps several, so this is throughput per lookup.
    for (label, hits) in [("hit", true), ("miss", false)] {
        Benchmark("Index 10M lookup \(label)", configuration: tenMillionLookups) { benchmark in
            let fixture = IndexBenchFixture.tenMillion
            lookupLoop(benchmark, mapped.withLock { $0 }!, keys: hits ? fixture.hits : fixture.misses)
        }
    }

    // Each key depends on the previous result, so lookups cannot overlap: this is latency.
    Benchmark("Index 10M lookup hit, dependent chain", configuration: tenMillionLookups) { benchmark in
        let fixture = IndexBenchFixture.tenMillion
        let segment = mapped.withLock { $0 }!
        var position = 0
        for _ in benchmark.scaledIterations {
            let offset = segment.lookup(fixture.hits[position])?.offset ?? 0
            position = (position &+ 1 &+ Int(offset & 1)) % fixture.hits.count
        }
        blackHole(position)
    }

    for cold in [true, false] {
        Benchmark("Index 10M open + first lookup, \(cold ? "cold" : "warm") cache",
                  configuration: .init(metrics: [.wallClock], timeUnits: .microseconds, maxDuration: .seconds(3), maxIterations: 50)) { benchmark in
            let fixture = IndexBenchFixture.tenMillion
            if cold { evictFromPageCache(fixture.path) }
            benchmark.startMeasurement()
            let segment = try MappedSegment(mapping: fixture.path, name: "bench")
            blackHole(segment.lookup(fixture.hits[0]))
            benchmark.stopMeasurement()
        }
    }

    // Pages the index keeps mapped: fresh mapping, then 10k and 1M random lookups (half hits).
    // The kernel maps neighbouring cached pages on a fault ("fault-around"), so this is an
    // upper bound of what the lookups themselves touched.
    let mapped10k = BenchmarkMetric.custom("mapped KiB after 10k lookups", useScalingFactor: false)
    let mapped1M = BenchmarkMetric.custom("mapped KiB after 1M lookups", useScalingFactor: false)
    let perGrain = BenchmarkMetric.custom("resident bytes per grain after 1M lookups (x100)", useScalingFactor: false)
    let heap = BenchmarkMetric.custom("anonymous RSS growth over 1M lookups (KiB)", useScalingFactor: false)
    Benchmark("Index 10M resident memory after 1M lookups",
              configuration: .init(metrics: [mapped10k, mapped1M, perGrain, heap], warmupIterations: 0, maxIterations: 1)) { benchmark in
        let fixture = IndexBenchFixture.tenMillion
        let segment = try MappedSegment(mapping: fixture.path, name: "bench")  // a fresh mapping: nothing touched yet
        let keys = zip(fixture.hits, fixture.misses).flatMap { [$0, $1] }.prefix(1_000_000)
        let anonymousBefore = processStatusKiB("RssAnon:")
        for key in keys.prefix(10_000) { blackHole(segment.lookup(key)) }
        let afterFirst = mappingResidentKiB(segment)
        for key in keys.dropFirst(10_000) { blackHole(segment.lookup(key)) }
        let afterAll = mappingResidentKiB(segment)
        benchmark.measurement(mapped10k, afterFirst)
        benchmark.measurement(mapped1M, afterAll)
        benchmark.measurement(perGrain, afterAll * 1024 * 100 / segment.count)
        benchmark.measurement(heap, processStatusKiB("RssAnon:") - anonymousBefore)
    }
}

private func lookupLoop(_ benchmark: Benchmark, _ segment: MappedSegment, keys: [Key]) {
    var position = 0
    for _ in benchmark.scaledIterations {
        blackHole(segment.lookup(keys[position]))
        position = position + 1 == keys.count ? 0 : position + 1
    }
}

/// A synthetic segment file and keys to look up in it.
struct IndexBenchFixture: Sendable {
    static let million = IndexBenchFixture(count: 1_000_000, inMemory: true)
    static let tenMillion = IndexBenchFixture(count: 10_000_000, inMemory: false)

    let path: String
    /// The segment in memory (only for the in-memory fixture).
    let segment: MappedSegment?
    /// Keys present, in random order.
    let hits: [Key]
    /// Keys absent (random).
    let misses: [Key]

    private init(count: Int, inMemory: Bool) {
        var rng = SplitMix64(state: UInt64(count))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("basin-index-bench")
        path = directory.appendingPathComponent("segment-\(count)-v\(IndexSegmentCodec.version).seg").path
        let size = IndexSegmentCodec.segmentSize(entryCount: count, strataCount: 1000)!
        if (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) != size {
            try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            Self.write(count: count, to: path, rng: &rng)
        }
        // Sample keys through a mapping of its own, so the measured mapping starts untouched.
        let sampler = try! MappedSegment(mapping: path, name: "sampler")
        hits = (0..<1_000_000).map { _ in sampler.entries[Int.random(in: 0..<sampler.count, using: &rng)].key }
        misses = (0..<1_000_000).map { _ in Key(w0: rng.next(), w1: rng.next(), w2: rng.next(), w3: rng.next()) }
        segment = inMemory ? try! MappedSegment(bytes: [UInt8](FileManager.default.contents(atPath: path)!), name: "bench") : nil
    }

    /// Writes `count` uniformly random keys, sorted, streaming 4 MiB at a time.
    private static func write(count: Int, to path: String, rng: inout SplitMix64) {
        var prefixes = (0..<count).map { _ in rng.next() }
        prefixes.sort()
        for index in prefixes.indices.dropFirst() where prefixes[index] <= prefixes[index - 1] {
            prefixes[index] = prefixes[index - 1] + 1  // keep keys unique (a collision is ~1 in 400 000 here)
        }
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let file = FileHandle(forWritingAtPath: path)!
        let encoder = try! IndexSegmentStreamEncoder(
            entryCount: count,
            strata: (0..<1000).map { IndexedStratum(id: $0, lane: .data, size: 64 << 20, plainBytes: 64 << 20, grainCount: count / 1000) })
        for (index, prefix) in prefixes.enumerated() {
            var mix = SplitMix64(state: prefix)
            let key = Key(w0: prefix, w1: mix.next(), w2: mix.next(), w3: mix.next())
            try! encoder.append(IndexEntry(key: key, stratum: UInt64(index % 1000), offset: UInt32(truncatingIfNeeded: index),
                                           length: 4096, kind: 1, plainLength: 4096))
            if encoder.pendingByteCount >= 4 << 20 { file.write(Data(encoder.takePending())) }
        }
        file.write(Data(try! encoder.finish()))
        try! file.close()
    }
}

private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drops the file's pages from the page cache (they are clean), so the next open reads the disk.
private func evictFromPageCache(_ path: String) {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return }
    _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED))
    close(descriptor)
}

/// Kilobytes of the segment's mapping that are mapped into this process (`Rss` in /proc/self/smaps).
private func mappingResidentKiB(_ segment: MappedSegment) -> Int {
    guard let address = segment._mappedAddress else { return -1 }
    let start = String(address, radix: 16)
    var inMapping = false
    for line in readProcFile("/proc/self/smaps").split(separator: "\n") {
        if let range = line.split(separator: " ").first, range.contains("-") {
            inMapping = range.split(separator: "-").first.map { $0.drop(while: { $0 == "0" }) == start } ?? false
        } else if inMapping, line.hasPrefix("Rss:") {
            return Int(line.split(separator: " ")[1]) ?? -1
        }
    }
    return -1
}

/// A "…: N kB" field of /proc/self/status, in KiB.
private func processStatusKiB(_ field: String) -> Int {
    guard let line = readProcFile("/proc/self/status").split(separator: "\n").first(where: { $0.hasPrefix(field) }) else { return -1 }
    return Int(line.split(separator: " ")[1]) ?? -1
}

/// The whole of a /proc file (they report size 0, so read until the end).
private func readProcFile(_ path: String) -> String {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return "" }
    defer { close(descriptor) }
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { break }
        contents += chunk[0..<count]
    }
    return String(decoding: contents, as: UTF8.self)
}
