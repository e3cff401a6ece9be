import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

@Suite("Dump: a file as it is, a directory as a tar archive GNU tar extracts faithfully")
struct DumpTests {
    let scratch: TestDirectory
    let source: String

    init() throws {
        scratch = try TestDirectory("dump")
        source = scratch.path("source")
    }

    func snapshot() async throws -> (SnapshotRepository, Snapshot) {
        var options = TreeGenerator.Options()
        options.largeFileSizes = [700_000]
        _ = try TreeGenerator.generate(at: source, options: options)
        let basin = try await Basin.create(backend: MemoryBackend(), password: nil, options: SnapshotFixture.smallOptions(),
                                           resolve: SnapshotFixture.noLanes)
        let repository = SnapshotRepository(basin: basin)
        return (repository, try await SnapshotFixture.backUp(source, to: repository))
    }

    /// Everything `Dump` writes for `path`, in one array.
    func dump(_ path: String, _ repository: SnapshotRepository, _ snapshot: Snapshot) async throws -> [UInt8] {
        var collected: [UInt8] = []
        try await Dump(repository: repository).write(snapshot, path: RestoreEngine.components(of: Array(path.utf8))) {
            (piece: [UInt8]) throws(BasinError) in collected += piece
        }
        return collected
    }

    @Test("a file is written as its content")
    func file() async throws {
        let (repository, snapshot) = try await snapshot()
        for name in ["large/big0.bin", "plain.txt", "empty"] {
            let expected = try TestFileSystem.readFile(Array((source + "/" + name).utf8))
            #expect(try await dump(source + "/" + name, repository, snapshot) == expected, "\(name)")
            #expect(try await !Dump(repository: repository).isArchive(snapshot, path: RestoreEngine.components(of: Array((source + "/" + name).utf8))))
        }
    }

    @Test("a directory becomes a tar archive that extracts to an equal tree (names, links, modes, owners, ns times, xattrs)")
    func directory() async throws {
        let (repository, snapshot) = try await snapshot()
        let archive = try await dump(source, repository, snapshot)
        #expect(archive.count % 512 == 0 && archive.suffix(1024).allSatisfy { $0 == 0 })
        let archivePath = scratch.path("source.tar")
        try TestFileSystem.writeFile(Array(archivePath.utf8), archive)
        let out = scratch.path("extracted")
        try TestFileSystem.makeDirectory(Array(out.utf8))
        let tar = try TestProcess.extract(archivePath, into: out)
        #expect(tar.status == 0, "\(tar.errors)")
        let differences = try TreeComparer.compare(source: source, restored: out + "/source")
        #expect(differences.isEmpty, "\(differences.map(\.description).joined(separator: "\n"))")
    }

    @Test("the snapshot's root archives the absolute paths")
    func root() async throws {
        let (repository, snapshot) = try await snapshot()
        let archivePath = scratch.path("root.tar")
        try TestFileSystem.writeFile(Array(archivePath.utf8), try await dump("/", repository, snapshot))
        let out = scratch.path("root-out")
        try TestFileSystem.makeDirectory(Array(out.utf8))
        #expect(try TestProcess.extract(archivePath, into: out).status == 0)
        #expect(try TestFileSystem.readFile(Array((out + source + "/plain.txt").utf8)) == TestFileSystem.readFile(Array((source + "/plain.txt").utf8)))
    }
}
