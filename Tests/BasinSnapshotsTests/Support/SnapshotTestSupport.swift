import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Synchronization

typealias Node = SnapshotRepository.FixtureNode

/// A basin in memory behind a counting backend, with small strata and no encryption cost.
struct TestBasin {
    let backend: FaultInjectingBackend
    let repository: SnapshotRepository

    static func make() async throws -> TestBasin {
        var options = BasinCreateOptions()
        options.encryption = .chacha20Poly1305
        options.chunker = try FastCDCParameters(minSize: 1024, averageSize: 4096, maxSize: 16384)
        options.stratumTargetSize = 64 << 10
        options.kdf = .testing
        let backend = FaultInjectingBackend(wrapping: MemoryBackend())
        let basin = try await Basin.create(backend: backend, password: "pw", options: options, resolve: noLanes)
        return TestBasin(backend: backend, repository: SnapshotRepository(basin: basin))
    }

    /// The same basin opened afresh (everything flushed first), counters reset: every grain
    /// read from now on reaches the backend.
    func reopened() async throws -> TestBasin {
        try await repository.basin.flush()
        let basin = try await Basin.open(backend: backend, password: "pw", resolve: noLanes)
        backend.resetCounters()
        return TestBasin(backend: backend, repository: SnapshotRepository(basin: basin))
    }
}

let noLanes: BackendResolver = { location throws(BasinError) in
    throw BasinError(.notFound, "no backend for \(location) in this test")
}

/// A tree source that records every tree it loads.
final class CountingTreeSource: TreeSource {
    let inner: SnapshotRepository
    private let loaded = Mutex<[Key]>([])

    init(_ inner: SnapshotRepository) {
        self.inner = inner
    }

    var loads: [Key] { loaded.withLock { $0 } }

    func tree(_ key: Key) async throws(BasinError) -> Tree {
        loaded.withLock { $0.append(key) }
        return try await inner.tree(key)
    }
}

/// A UTC date from `2024-03-01T12:00:00Z`-style text.
func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else { fatalError("bad test date \(text)") }
    return date
}

/// Path text as bytes, for comparing with listings.
func components(_ path: String) -> [[UInt8]] {
    path.split(separator: "/").map { Array($0.utf8) }
}

/// Deterministic file content.
func content(_ text: String, repeating count: Int = 1) -> [UInt8] {
    Array(String(repeating: text, count: count).utf8)
}
