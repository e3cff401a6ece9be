import BasinBackend
import BasinCore
import Foundation
import BasinTestSupport
import Testing
@testable import BasinSnapshots
@testable import BasinStore

/// A scratch directory for a source tree, removed at the end.
final class Scratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("basin-backup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes a file; `name` may hold raw bytes (joined to the path as bytes).
    func write(_ relative: [UInt8], _ bytes: [UInt8]) throws {
        try TestFileSystem.writeFile(Array(path.utf8) + [UInt8(ascii: "/")] + relative, bytes)
    }

    func write(_ relative: String, _ bytes: [UInt8]) throws { try write(Array(relative.utf8), bytes) }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path + "/" + relative, withIntermediateDirectories: true)
    }
}

func seeded(_ count: Int, seed: UInt64) -> [UInt8] { SplitMix64.bytes(count, seed: seed) }

func testBasin() async throws -> Basin {
    var options = BasinCreateOptions()
    options.chunker = try FastCDCParameters(minSize: 4096, averageSize: 16384, maxSize: 65536)
    options.stratumTargetSize = 256 << 10
    options.kdf = .testing
    return try await Basin.create(backend: MemoryBackend(), password: "pw", options: options, resolve: { location throws(BasinError) in
        throw BasinError(.notFound, location.location)
    })
}

@Suite("Backup")
struct BackupTests {
    /// A small tree with every kind of entry the walker meets, and odd names.
    static func makeTree(_ scratch: Scratch) throws {
        try scratch.mkdir("src/empty-dir")
        try scratch.mkdir("src/deep/a/b/c")
        try scratch.write("src/empty-file", [])
        try scratch.write("src/small.txt", Array("hello\n".utf8))
        try scratch.write("src/deep/a/b/c/large.bin", seeded(600_000, seed: 1))
        try scratch.write("src/deep/a/medium.bin", seeded(70_000, seed: 2))
        try scratch.write("src/two\nlines", Array("newline in the name".utf8))
        try scratch.write(Array("src/".utf8) + [0xFF, 0xFE, 0x41], Array("not UTF-8".utf8))
        try scratch.write("src/" + String(repeating: "n", count: 255), Array("long name".utf8))
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/src/link", withDestinationPath: "small.txt")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/src/dangling", withDestinationPath: "/nowhere/at/all")
        try TestFileSystem.makeFifo(Array((scratch.path + "/src/fifo").utf8), mode: 0o600)
        try TestFileSystem.makeHardLink(Array((scratch.path + "/src/hardlink").utf8), to: Array((scratch.path + "/src/small.txt").utf8))
        try TestFileSystem.changeMode(Array((scratch.path + "/src/deep/a/medium.bin").utf8), 0o4751)
    }

    /// The snapshot's tree for the source directory (`paths` mirror absolute paths).
    static func sourceTree(_ repository: SnapshotRepository, _ snapshot: Snapshot, _ scratch: Scratch) async throws -> TreeEntry {
        let components = scratch.path.split(separator: "/").map { Array($0.utf8) } + [Array("src".utf8)]
        return try await repository.entry(at: components, in: snapshot)
    }

    @Test("every entry type and odd name is recorded with its metadata and content")
    func recordsEverything() async throws {
        let scratch = try Scratch()
        try Self.makeTree(scratch)
        let repository = SnapshotRepository(basin: try await testBasin())
        let result = try await BackupEngine(repository: repository, options: BackupOptions(paths: [scratch.path + "/src"])).run()
        #expect(result.isComplete, "\(result.warnings)")
        let snapshot = try #require(result.snapshot)
        let source = try await Self.sourceTree(repository, snapshot, scratch)
        #expect(source.type == .directory)
        let tree = try await repository.loadTree(try #require(source.content))
        let names = Set(tree.entries.map(\.name))
        for expected in ["empty-dir", "deep", "empty-file", "small.txt", "two\nlines", String(repeating: "n", count: 255),
                         "link", "dangling", "fifo", "hardlink"] {
            #expect(names.contains(Array(expected.utf8)), "missing \(expected)")
        }
        #expect(names.contains([0xFF, 0xFE, 0x41]))
        let link = try #require(tree.entry(named: Array("link".utf8)))
        #expect(link.type == .symlink && link.linkTarget == Array("small.txt".utf8))
        #expect(tree.entry(named: Array("fifo".utf8))?.type == .fifo)
        #expect(tree.entry(named: Array("empty-file".utf8))?.content == nil)
        let small = try #require(tree.entry(named: Array("small.txt".utf8)))
        let hardlink = try #require(tree.entry(named: Array("hardlink".utf8)))
        #expect(small.inode == hardlink.inode && small.linkCount == 2)
        #expect(try await repository.basin.get(try #require(small.content)) == Array("hello\n".utf8))
        let status = try #require(try TestFileSystem.status(Array((scratch.path + "/src/small.txt").utf8)))
        #expect(small.modificationTime == status.modificationTime)
        #expect(small.mode == status.mode && small.uid == status.uid)
        let deep = try await repository.entry(at: (scratch.path + "/src/deep/a").split(separator: "/").map { Array($0.utf8) }, in: snapshot)
        let deepTree = try await repository.loadTree(try #require(deep.content))
        let medium = try #require(deepTree.entry(named: Array("medium.bin".utf8)))
        #expect(medium.mode == 0o4751)
        #expect(try await repository.basin.get(try #require(medium.content)) == seeded(70_000, seed: 2))
        let large = try await repository.entry(at: (scratch.path + "/src/deep/a/b/c/large.bin").split(separator: "/").map { Array($0.utf8) }, in: snapshot)
        #expect(large.size == 600_000)
        #expect(try await repository.basin.grain(try #require(large.content)).kind == .clast)
        #expect(try await repository.basin.get(try #require(large.content)) == seeded(600_000, seed: 1))
    }

    @Test("a second backup with no changes reads no file content and adds nothing; a few changes add only their chunks")
    func changeDetection() async throws {
        let scratch = try Scratch()
        try Self.makeTree(scratch)
        try scratch.mkdir("src/many")
        for index in 0..<20 { try scratch.write("src/many/file\(index)", seeded(3000 + index, seed: UInt64(100 + index))) }
        let repository = SnapshotRepository(basin: try await testBasin())
        let options = BackupOptions(paths: [scratch.path + "/src"])
        let first = try await BackupEngine(repository: repository, options: options).run()
        #expect(first.filesRead > 20)
        let second = try await BackupEngine(repository: repository, options: options).run()
        #expect(second.parent?.id == first.snapshot?.id)
        #expect(second.filesRead == 0 && second.summary.bytesRead == 0)
        #expect(second.summary.filesUnmodified == first.summary.filesNew)
        // The source's subtree is the same grain; only the directories above it (/tmp changes
        // under other programs) may give new, small trees.
        let firstSource = try await Self.sourceTree(repository, try #require(first.snapshot), scratch)
        let secondSource = try await Self.sourceTree(repository, try #require(second.snapshot), scratch)
        #expect(firstSource.content == secondSource.content)
        #expect(second.summary.bytesAdded < 1000, "\(second.summary.bytesAdded)")

        // Change two files: rewrite a small one, change 100 bytes in the middle of the large one.
        try scratch.write("src/many/file3", Array("changed".utf8))
        var large = seeded(600_000, seed: 1)
        for index in 300_000..<300_100 { large[index] ^= 0xFF }
        try scratch.write("src/deep/a/b/c/large.bin", large)
        let third = try await BackupEngine(repository: repository, options: options).run()
        #expect(third.filesRead == 2)
        #expect(third.summary.filesChanged == 2)
        // Only the chunks around the edit (chunks are ≤ 64 KiB here), trees and the small file.
        #expect(third.summary.bytesAdded > 0 && third.summary.bytesAdded < 200_000, "\(third.summary.bytesAdded)")
        let thirdSnapshot = try #require(third.snapshot)
        let changed = try await repository.entry(
            at: (scratch.path + "/src/deep/a/b/c/large.bin").split(separator: "/").map { Array($0.utf8) }, in: thirdSnapshot)
        #expect(try await repository.basin.get(try #require(changed.content)) == large)
    }

    @Test("excluded paths and unreadable files are left out; an unreadable file is a warning, not a failure")
    func excludesAndWarnings() async throws {
        let scratch = try Scratch()
        try Self.makeTree(scratch)
        try scratch.write("src/cache.tmp", [1, 2, 3])
        try scratch.write("src/deep/a/b/skip.TMP", [1])
        let repository = SnapshotRepository(basin: try await testBasin())
        // Tests run as root, who may open any file whatever its mode; /proc/self/mem is a regular
        // file whose read at offset 0 fails even so (EIO: page 0 is never mapped).
        let unreadable = "/proc/self/mem"
        var options = BackupOptions(paths: [scratch.path + "/src", unreadable])
        options.excludes = ["*.tmp", scratch.path + "/src/deep/a/b/c"]
        options.caseInsensitiveExcludes = ["SKIP.tmp"]
        let result = try await BackupEngine(repository: repository, options: options).run()
        #expect(!result.isComplete)
        #expect(result.warnings.count == 1 && result.warnings[0].contains(unreadable), "\(result.warnings)")
        let snapshot = try #require(result.snapshot)
        let procSelf = try await repository.entry(at: [Array("proc".utf8), Array("self".utf8)], in: snapshot)
        #expect(try await repository.loadTree(try #require(procSelf.content)).entry(named: Array("mem".utf8)) == nil)
        let source = try await Self.sourceTree(repository, snapshot, scratch)
        let tree = try await repository.loadTree(try #require(source.content))
        #expect(tree.entry(named: Array("cache.tmp".utf8)) == nil)
        #expect(tree.entry(named: Array("small.txt".utf8)) != nil)
        #expect(tree.entry(named: Array("hardlink".utf8)) != nil)
        let b = try await repository.entry(at: (scratch.path + "/src/deep/a/b").split(separator: "/").map { Array($0.utf8) }, in: snapshot)
        #expect(try await repository.loadTree(try #require(b.content)).entries.isEmpty)
    }

    @Test("a dry run stores nothing")
    func dryRun() async throws {
        let scratch = try Scratch()
        try Self.makeTree(scratch)
        let basin = try await testBasin()
        let repository = SnapshotRepository(basin: basin)
        var options = BackupOptions(paths: [scratch.path + "/src"])
        options.dryRun = true
        let result = try await BackupEngine(repository: repository, options: options).run()
        #expect(result.snapshot == nil && result.filesRead > 0)
        #expect(try await repository.list().isEmpty)
        #expect(try await basin.backend.list(prefix: "data/").isEmpty)
    }

    @Test("a missing path is a clear error")
    func missingPath() async throws {
        let repository = SnapshotRepository(basin: try await testBasin())
        await #expect { try await BackupEngine(repository: repository, options: BackupOptions(paths: ["/does/not/exist"])).run() } throws: { error in
            (error as? BasinError)?.code == .invalidArgument && (error as? BasinError)?.message.contains("/does/not/exist") == true
        }
    }

    @Test("exclude patterns follow restic's rules")
    func excludePatterns() throws {
        func path(_ text: String) -> [[UInt8]] { text.split(separator: "/").map { Array($0.utf8) } }
        let matcher = try ExcludeMatcher(patterns: ["*.o", "/home/*/cache", "foo/**/bar", "build/"], caseInsensitive: ["*.JPG"])
        #expect(matcher.excludes(path("/src/main.o")))
        #expect(matcher.excludes(path("/a/b/c/x.o")))
        #expect(!matcher.excludes(path("/src/main.c")))
        #expect(matcher.excludes(path("/home/u/cache")))
        #expect(!matcher.excludes(path("/x/home/u/cache")))
        #expect(matcher.excludes(path("/x/foo/bar")) && matcher.excludes(path("/x/foo/1/2/bar")))
        #expect(matcher.excludes(path("/p/build")))
        #expect(matcher.excludes(path("/p/photo.jpg")) && matcher.excludes(path("/p/PHOTO.JPG")))
        #expect(!matcher.excludes(path("/p/photo.png")))
        #expect(matcher.excludes(path("/home/u/cache/inside/file")), "below an excluded directory")
        #expect(ExcludeMatcher.patterns(fromFile: "# comment\n\n*.log\n  spaced  \n") == ["*.log", "spaced"])
        #expect(throws: BasinError.self) { try ExcludeMatcher(patterns: ["[unclosed"]) }
    }
}
