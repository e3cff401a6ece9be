import BasinBackend
import BasinCore
import BasinStore
import BasinTestSupport
import Foundation
import BasinSystem
import SystemPackage
import Testing

@testable import BasinSnapshots

/// Restore reads content stratum by stratum (`BatchRestorer`): few requests, each file whole
/// and checked, whatever order its pieces arrive in.
@Suite("BatchRestorer: restores read strata, not grains")
struct BatchRestoreTests {
    let scratch: TestDirectory

    init() throws {
        scratch = try TestDirectory("batch-restore")
    }

    static let directories = 40

    /// The path of small file `index` below the tree's root.
    static func small(_ index: Int) -> String { "dir-\(index % directories)/small-\(index)" }

    /// Many small files in `directories` folders, and two files of many chunks, with content from `seed`.
    func makeTree(at path: String, seed: UInt64) throws {
        try TestFileSystem.makeDirectory(Array(path.utf8))
        for index in 0..<Self.directories { try TestFileSystem.makeDirectory(Array("\(path)/dir-\(index)".utf8)) }
        for index in 0..<400 {
            let size = Int(SplitMix64.bytes(2, seed: seed &+ UInt64(index)).reduce(0) { $0 << 8 | Int($1) }) % 9000
            try TestFileSystem.writeFile(Array("\(path)/\(Self.small(index))".utf8), SplitMix64.bytes(size, seed: seed &* 31 &+ UInt64(index)))
        }
        try TestFileSystem.writeFile(Array("\(path)/large-1".utf8), SplitMix64.bytes(3 << 20, seed: seed &+ 1000))
        try TestFileSystem.writeFile(Array("\(path)/large-2".utf8), SplitMix64.bytes(1 << 20 + 123, seed: seed &+ 2000))
    }

    @Test("a remote-style restore makes at most one read per data stratum, header included, reads trees a level at a time, and restores every file",
          arguments: [PayloadAlgorithm.none, .chacha20Poly1305])
    func requestsPerStratum(encryption: PayloadAlgorithm) async throws {
        let source = scratch.path("source-\(encryption.name)")
        try makeTree(at: source, seed: 5)
        let backend = FaultInjectingBackend(wrapping: MemoryBackend())
        let basin = try await Basin.create(backend: backend, password: "pw", options: SnapshotFixture.smallOptions(encryption: encryption),
                                           resolve: SnapshotFixture.noLanes)
        let repository = SnapshotRepository(basin: basin)
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        let dataStrata = try await backend.list(prefix: "data/").count
        #expect(dataStrata >= 4, "the tree should span several 1 MiB strata")
        backend.resetCounters()
        var options = RestoreOptions()
        options.fetch = .remote
        let target = scratch.path("restored-\(encryption.name)")
        let report = try await RestoreEngine(repository: repository, options: options)
            .restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.files == 402)
        let differences = try TreeComparer.compare(source: source, restored: target)
        #expect(differences.isEmpty, "\(differences.map(\.description).joined(separator: "\n"))")
        let reads = backend.calls(.read, .readRange, .stat, prefix: "data/")
        #expect(reads >= 1 && reads <= dataStrata, "\(reads) reads of \(dataStrata) data strata")
        // One tree per directory, but the trees of a level come together: the path down to the
        // source, then a few requests per level, far fewer than one per directory.
        let metaReads = backend.calls(.read, .readRange, .stat, prefix: "meta/")
        #expect(metaReads < Self.directories / 2, "\(metaReads) reads of the meta lane for \(Self.directories) directories")
    }

    /// A restore of a tree from `seed` after `damage` changed the stored bytes of the content it
    /// returns (read from the source folder it is given), as ``SnapshotFixture/damage(_:inLocalBasin:repairingChecksum:)`` does.
    func restoreDamaged(_ label: String, seed: UInt64, repairingChecksum: Bool = false, options: RestoreOptions,
                        content damaged: (String) throws -> [UInt8]) async throws
        -> (report: RestoreReport, source: String, target: String, basin: Basin) {
        let source = scratch.path("\(label)-source")
        try makeTree(at: source, seed: seed)
        let basinPath = scratch.path("\(label)-basin")
        let repository = try await SnapshotFixture.localRepository(at: basinPath, create: true)
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        _ = try SnapshotFixture.damage(try damaged(source), inLocalBasin: basinPath, repairingChecksum: repairingChecksum)
        let reopened = try await SnapshotFixture.localRepository(at: basinPath, create: false)
        let target = scratch.path("\(label)-restored")
        let report = try await RestoreEngine(repository: reopened, options: options)
            .restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
        return (report, source, target, reopened.basin)
    }

    @Test("a damaged grain fails only the files holding it; the others of its stratum and batch are restored")
    func damageStaysLocal() async throws {
        var options = RestoreOptions()
        options.fetch = .remote
        let (report, source, target, _) = try await restoreDamaged("damage", seed: 9, options: options) { source in
            let victim = try TestFileSystem.readFile(Array("\(source)/\(Self.small(17))".utf8))
            try #require(victim.count >= 64)
            return victim
        }
        #expect(report.failures.map(\.path) == ["\(target)/\(Self.small(17))"])
        #expect(report.failures.first?.code == BasinError.Code.corrupted.rawValue)
        #expect(try TestFileSystem.status(Array("\(target)/\(Self.small(17))".utf8)) == nil, "a failed file is removed")
        #expect(report.files == 401)
        for name in [Self.small(16), Self.small(18), Self.small(57), "large-1", "large-2"] {
            #expect(try TestFileSystem.readFile(Array("\(target)/\(name)".utf8)) == TestFileSystem.readFile(Array("\(source)/\(name)".utf8)))
        }
    }

    /// A chunk of a large file is hashed once, as part of the whole file (the fetch skips its
    /// own key hash): a chunk changed behind a repaired frame checksum still fails its file,
    /// and only that file; read on its own, the same grain fails its own key check.
    @Test("a chunk changed behind a repaired checksum fails its file through the whole file's hash")
    func forgedChunkFailsItsFile() async throws {
        var large: [UInt8] = []
        let (report, source, target, basin) = try await restoreDamaged("forged", seed: 13, repairingChecksum: true,
                                                                       options: RestoreOptions()) { source in
            large = try TestFileSystem.readFile(Array("\(source)/large-2".utf8))
            return Array(large[(512 << 10)...])
        }
        #expect(report.failures.map(\.path) == ["\(target)/large-2"])
        #expect(report.failures.first?.code == BasinError.Code.corrupted.rawValue)
        #expect(try TestFileSystem.status(Array("\(target)/large-2".utf8)) == nil, "a failed file is removed")
        #expect(try TestFileSystem.readFile(Array("\(target)/large-1".utf8)) == TestFileSystem.readFile(Array("\(source)/large-1".utf8)))
        #expect(report.files == 401)
        // Every chunk read on its own checks its own key: exactly the changed one fails.
        let clast = try Clast.decode(try await basin.grain(Key(bytes: BLAKE3.hash(large))!).plain)
        let fetched = await basin.fetchAll(clast.chunks.map(\.key))
        let failed = fetched.filter { if case .failure = $0.value { true } else { false } }
        #expect(failed.count == 1, "\(failed.count) of \(clast.chunks.count) chunks failed their own check")
    }

    /// A file of three pieces written in the order given; what `finish` says of it.
    /// Writes `pieces` in `order` through a batch's file content, holding at most `heldLimit`
    /// bytes of early pieces in memory (the rest are read back from the file).
    func assemble(_ pieces: [[UInt8]], order: [Int], key: Key, basin: Basin, heldLimit: Int) throws -> BasinError? {
        let path = scratch.path("assembled-\(order.map(String.init).joined())-\(key.hex.prefix(8))")
        let fd = try FileDescriptor.currentDirectory.open(Array(path.utf8), .readWrite, options: [.create, .truncate])
        defer { try? fd.closeOnce() }
        let total = pieces.reduce(0) { $0 + $1.count }
        let entry = TreeEntry(name: Array("f".utf8), type: .file, size: UInt64(total), content: key)
        let job = FileRestorer.Job(fd: fd, key: key, entry: entry, relativePath: Array("f".utf8), display: path)
        let held = HeldBytes(limit: heldLimit)
        let file = FileContent(job: job, hasher: basin.makeKeyHasher(), held: held)
        file.expect(pieces: pieces.count)
        let tracker = RestoreProgressTracker(filesTotal: 1, bytesTotal: Int64(total), observer: nil)
        let offsets = pieces.indices.map { index in Int64(pieces[..<index].reduce(0) { $0 + $1.count }) }
        var last = false
        for index in order {
            file.write(pieces[index], at: offsets[index], tracker: tracker)
            last = file.pieceDone()
        }
        #expect(last)
        let state = file.finish()
        #expect(state.written == Int64(total))
        #expect(held.current == 0, "every held piece is given back")
        if state.failure == nil {
            // As FileRestorer.complete does: a file ending in a hole gets its size.
            try fd.setSize(Int64(total))
            #expect(try TestFileSystem.readFile(Array(path.utf8)) == Array(pieces.joined()))
        }
        return state.failure
    }

    @Test("pieces of a value arriving in any order are hashed in order, held in memory or read back; a wrong piece fails the file",
          arguments: [[0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1]], [0, 7000, 1 << 20])
    func outOfOrder(order: [Int], heldLimit: Int) async throws {
        let basin = try await Basin.create(backend: MemoryBackend(), password: "pw", options: SnapshotFixture.smallOptions(encryption: .chacha20Poly1305),
                                           resolve: SnapshotFixture.noLanes)
        let pieces = [SplitMix64.bytes(5000, seed: 1), SplitMix64.bytes(7000, seed: 2), SplitMix64.bytes(300, seed: 3)]
        let key = basin.key(of: Array(pieces.joined()))
        #expect(try assemble(pieces, order: order, key: key, basin: basin, heldLimit: heldLimit) == nil)
        var swapped = pieces
        swapped.swapAt(0, 1)   // the same bytes, in the wrong places
        let failure = try assemble(swapped, order: order, key: key, basin: basin, heldLimit: heldLimit)
        #expect(failure?.code == .corrupted)
        #expect(failure?.message.contains(key.hex) == true)
    }

    @Test("a piece of zeros left as a hole past the end of the file so far still hashes in order",
          arguments: [[0, 1], [1, 0]], [0, 1 << 20])
    func holeBeforeItsTurn(order: [Int], heldLimit: Int) async throws {
        let basin = try await Basin.create(backend: MemoryBackend(), password: nil, options: SnapshotFixture.smallOptions(),
                                           resolve: SnapshotFixture.noLanes)
        let pieces = [SplitMix64.bytes(4096, seed: 8), [UInt8](repeating: 0, count: 8192)]
        let key = basin.key(of: Array(pieces.joined()))
        #expect(try assemble(pieces, order: order, key: key, basin: basin, heldLimit: heldLimit) == nil)
    }
}
