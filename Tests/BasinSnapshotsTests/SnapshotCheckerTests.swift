import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// The snapshot half of `basin check`: refs, trees, and the keys they reach, each problem
/// naming the snapshot and the path in it.
@Suite("SnapshotChecker: refs, trees, missing keys, sizes")
struct SnapshotCheckerTests {
    let backend = MemoryBackend()

    func setUp() async throws -> (SnapshotRepository, Snapshot) {
        let repository = try await PrunerTests.memoryRepository(backend, encryption: .chacha20Poly1305)
        let snapshot = try await repository.saveFixtureSnapshot([
            .directory("docs", [.file("small", SplitMix64.bytes(5000, seed: 1)), .file("large", SplitMix64.bytes(700_000, seed: 2))]),
            .file("empty", []),
            .symlink("link", target: "docs/small"),
        ], time: Date())
        return (try await PrunerTests.reopen(backend), snapshot)
    }

    func strata(_ lane: Lane) -> [String] {
        backend.snapshot().keys.filter { StratumName.parse($0, lane: lane) != nil }.sorted()
    }

    @Test("a whole basin: no problems; every key of the snapshot is reached")
    func healthy() async throws {
        let (repository, _) = try await setUp()
        let store = try await Checker(basin: repository.basin).run()
        let report = try await SnapshotChecker(repository: repository).run(inventory: store.inventory)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.snapshots == 1 && report.trees == 2 && report.clasts == 1)
        let grains = store.inventory.strata.reduce(0) { $0 + $1.entries.count }
        #expect(report.keys == grains, "every grain stored is reached once")
    }

    @Test("a snapshot another process commits while check runs is checked, not reported missing")
    func backupBesideCheck() async throws {
        let (checking, _) = try await setUp()
        let store = try await Checker(basin: checking.basin).run()
        let other = try await PrunerTests.reopen(backend)
        _ = try await other.saveFixtureSnapshot([.file("later", SplitMix64.bytes(300_000, seed: 9))], time: Date())
        let report = try await SnapshotChecker(repository: checking).run(inventory: store.inventory)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.snapshots == 2)
    }

    @Test("a lost data stratum: each missing content is named with its snapshot and path")
    func missingData() async throws {
        let (_, snapshot) = try await setUp()
        var objects = backend.snapshot()
        for name in strata(.data) { objects[name] = nil }
        backend.restore(objects)
        let repository = try await PrunerTests.reopen(backend)
        let store = try await Checker(basin: repository.basin).run()
        let problems = try await SnapshotChecker(repository: repository).run(inventory: store.inventory).problems
        #expect(problems.contains { $0.kind == .missing && $0.object == "snapshot \(snapshot.shortID)" && $0.path == "/docs/small" }, "\(problems)")
        #expect(problems.contains { $0.kind == .missing && $0.path == "/docs/large" && $0.message.contains("chunk") }, "\(problems)")
        #expect(!problems.contains { $0.path == "/empty" || $0.path == "/link" })
    }

    @Test("a damaged tree grain is named with the path that reaches it")
    func damagedTree() async throws {
        let (repository, snapshot) = try await setUp()
        let docs = try #require(try await repository.entry(at: [Array("docs".utf8)], in: snapshot).content)
        let located = try #require(repository.basin.locate(docs))
        let name = StratumName.objectName(lane: .meta, id: located.stratum)
        var objects = backend.snapshot()
        objects[name]![Int(located.offset) + GrainFrameHeader.size + 2] ^= 0x04
        backend.restore(objects)
        let reopened = try await PrunerTests.reopen(backend)
        let store = try await Checker(basin: reopened.basin, readData: .all).run()
        #expect(store.problems.contains { $0.kind == .data && $0.object == name && $0.message.contains(docs.hex) })
        let problems = try await SnapshotChecker(repository: reopened).run(inventory: store.inventory).problems
        #expect(problems.contains { $0.kind == .tree && $0.path == "/docs" && $0.message.contains(docs.hex) }, "\(problems)")
        // Prune refuses to plan from a walk that could not read every tree.
        await #expect(throws: BasinError.self) { try await Pruner(repository: reopened).run() }
    }

    @Test("a ref whose record differs from its snapshot grain, and a ref naming no grain, are named")
    func refProblems() async throws {
        let (repository, snapshot) = try await setUp()
        var record = snapshot.record
        record.hostname = "forged"
        try await repository.basin.deleteObject(SnapshotRepository.folder + snapshot.id.hex)
        try await repository.basin.writeSealedObject(SnapshotRepository.folder + snapshot.id.hex, plain: record.encoded())
        let stranger = SnapshotRepository.folder + String(repeating: "ab", count: 32)
        try await repository.basin.writeSealedObject(stranger, plain: record.encoded())
        let store = try await Checker(basin: repository.basin).run()
        let problems = try await SnapshotChecker(repository: repository).run(inventory: store.inventory).problems
        #expect(problems.contains { $0.kind == .snapshot && $0.object == SnapshotRepository.folder + snapshot.id.hex && $0.message.contains("different") })
        #expect(problems.contains { $0.kind == .snapshot && $0.object == stranger && $0.message.contains("missing") })
        #expect(problems.count == 2, "\(problems)")
    }
}
