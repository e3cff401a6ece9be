import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Restores of snapshots built by hand (`SnapshotFixture`) from generated trees, checked
/// against the source with `TreeComparer`.
@Suite("RestoreEngine: restores snapshots faithfully")
struct RestoreEngineTests {
    let scratch: TestDirectory
    let source: String

    init() throws {
        scratch = try TestDirectory("restore")
        source = scratch.path("source")
    }

    func repository(encryption: PayloadAlgorithm = .none) async throws -> SnapshotRepository {
        let basin = try await Basin.create(backend: MemoryBackend(), password: "pw", options: SnapshotFixture.smallOptions(encryption: encryption),
                                           resolve: SnapshotFixture.noLanes)
        return SnapshotRepository(basin: basin)
    }

    /// A smaller tree than the default: the large files still span many chunks.
    var treeOptions: TreeGenerator.Options {
        var options = TreeGenerator.Options()
        options.largeFileSizes = [1 << 20 + 4321, 600_000]
        return options
    }

    func expectEqual(_ source: String, _ restored: String, _ options: TreeComparer.Options = .init()) throws {
        let differences = try TreeComparer.compare(source: source, restored: restored, options: options)
        #expect(differences.isEmpty, "\(differences.map(\.description).joined(separator: "\n"))")
    }

    @Test("every entry type, odd names, modes, owners, times and xattrs come back equal; verify checks every file",
          arguments: [PayloadAlgorithm.none, .chacha20Poly1305])
    func roundTrip(encryption: PayloadAlgorithm) async throws {
        let summary = try TreeGenerator.generate(at: source, options: treeOptions)
        #expect(summary.types[.symlink, default: 0] >= 5 && summary.types[.fifo] == 1)
        let repository = try await repository(encryption: encryption)
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        var options = RestoreOptions()
        options.verify = true
        let target = scratch.path("out/restored")
        let report = try await RestoreEngine(repository: repository, options: options)
            .restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
        #expect(report.failures.isEmpty, "\(report.failures)")
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        try expectEqual(source, target)
        let nonEmptyFiles = try TestFileSystem.paths(below: Array(source.utf8)).filter {
            let status = try TestFileSystem.status(TestFileSystem.join(Array(source.utf8), $0))
            return status?.type == .file && status!.size > 0
        }
        let distinctInodes = Set(try nonEmptyFiles.map { try TestFileSystem.status(TestFileSystem.join(Array(source.utf8), $0))!.inode })
        #expect(report.verifiedFiles == distinctInodes.count)
        #expect(report.hardLinks == summary.linkGroups.map { $0.count - 1 }.reduce(0, +))
    }

    @Test("the whole snapshot restores the absolute path below the target, intermediate directories included")
    func wholeSnapshot() async throws {
        try TestFileSystem.makeDirectory(Array(source.utf8))
        try TestFileSystem.writeFile(Array((source + "/file").utf8), Array("content".utf8))
        let repository = try await repository()
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        let target = scratch.path("whole")
        let report = try await RestoreEngine(repository: repository).restore(snapshot, into: Array(target.utf8))
        #expect(report.isComplete)
        try expectEqual(source, target + source)
        // The source's parent came back with the mode and time recorded for it.
        let parent = String(source[..<source.lastIndex(of: "/")!])
        let recorded = try await repository.entry(at: RestoreEngine.components(of: Array(parent.utf8)), in: snapshot)
        let restored = try #require(try TestFileSystem.status(Array((target + parent).utf8)))
        #expect(restored.mode == recorded.mode && restored.modificationTime == recorded.modificationTime)
    }

    @Test("SNAPSHOT:SUBPATH restores a directory's content, or a single file under its name")
    func subpaths() async throws {
        _ = try TreeGenerator.generate(at: source, options: treeOptions)
        let repository = try await repository()
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        let engine = RestoreEngine(repository: repository)
        let nested = scratch.path("nested-out")
        _ = try await engine.restore(snapshot, subpath: RestoreEngine.components(of: Array((source + "/nested").utf8)),
                                     into: Array(nested.utf8))
        var options = TreeComparer.Options()
        // nested/a/hard2 is linked to links/original, which is not restored here.
        options.hardLinks = false
        try expectEqual(source + "/nested", nested, options)
        let single = scratch.path("single")
        try TestFileSystem.makeDirectory(Array(single.utf8))
        let report = try await engine.restore(snapshot, subpath: RestoreEngine.components(of: Array((source + "/modes/setuid").utf8)),
                                              into: Array(single.utf8))
        #expect(report.files == 1 && report.directories == 0)
        try expectEqual(source + "/modes/setuid", single + "/setuid")
        #expect(try TestFileSystem.names(in: Array(single.utf8)) == [Array("setuid".utf8)])
        await #expect(throws: BasinError.self) {
            try await engine.restore(snapshot, subpath: [Array("no-such".utf8)], into: Array(single.utf8))
        }
    }

    @Test("include restores matches and the directories leading to them; exclude leaves out whole subtrees")
    func includeExclude() async throws {
        let summary = try TreeGenerator.generate(at: source, options: treeOptions)
        let repository = try await repository()
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        let subpath = RestoreEngine.components(of: Array(source.utf8))
        let allPaths = Set(try TestFileSystem.paths(below: Array(source.utf8)))

        var options = RestoreOptions()
        options.includes = [try PathPattern("*.bin")]
        let included = scratch.path("included")
        _ = try await RestoreEngine(repository: repository, options: options).restore(snapshot, subpath: subpath, into: Array(included.utf8))
        let bins = allPaths.filter { $0.count > 4 && $0.suffix(4).elementsEqual(".bin".utf8) }
        var expected = bins
        for path in bins {
            var parent = path
            while let slash = parent.lastIndex(of: UInt8(ascii: "/")) {
                parent = Array(parent[..<slash])
                expected.insert(parent)
            }
        }
        #expect(Set(try TestFileSystem.paths(below: Array(included.utf8))) == expected)
        #expect(bins.count == summary.largeFiles.count + 1)

        options = RestoreOptions()
        options.excludes = [try PathPattern(source + "/large"), try PathPattern("odd"), try PathPattern("*-dash")]
        let excluded = scratch.path("excluded")
        _ = try await RestoreEngine(repository: repository, options: options).restore(snapshot, subpath: subpath, into: Array(excluded.utf8))
        let remaining = allPaths.filter { !$0.starts(with: Array("large".utf8)) && !$0.starts(with: Array("odd".utf8)) }
        #expect(Set(try TestFileSystem.paths(below: Array(excluded.utf8))) == remaining)
    }

    @Test("a hard link whose first path is excluded is restored from the next one, still linked to the rest")
    func hardLinkGroupWithoutItsFirst() async throws {
        _ = try TreeGenerator.generate(at: source, options: treeOptions)
        let repository = try await repository()
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        var options = RestoreOptions()
        options.excludes = [try PathPattern("links/original")]
        let target = scratch.path("links-out")
        let report = try await RestoreEngine(repository: repository, options: options)
            .restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
        #expect(report.isComplete)
        let first = try #require(try TestFileSystem.status(Array((target + "/links/hard1").utf8)))
        let second = try #require(try TestFileSystem.status(Array((target + "/nested/a/hard2").utf8)))
        #expect(first.inode == second.inode && first.linkCount == 2)
        #expect(try TestFileSystem.readFile(Array((target + "/links/hard1").utf8)) == TestFileSystem.readFile(Array((source + "/links/original").utf8)))
        #expect(try TestFileSystem.status(Array((target + "/links/original").utf8)) == nil)
    }

    @Test("existing files are never overwritten without overwrite: the restore refuses before writing anything")
    func refusesToOverwrite() async throws {
        _ = try TreeGenerator.generate(at: source, options: treeOptions)
        let repository = try await repository()
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        let subpath = RestoreEngine.components(of: Array(source.utf8))
        let target = scratch.path("again")
        _ = try await RestoreEngine(repository: repository).restore(snapshot, subpath: subpath, into: Array(target.utf8))
        let victim = Array((target + "/plain.txt").utf8)
        try TestFileSystem.writeFile(victim, Array("changed".utf8))
        try TestFileSystem.removeTree(Array((target + "/nested").utf8))
        do {
            _ = try await RestoreEngine(repository: repository).restore(snapshot, subpath: subpath, into: Array(target.utf8))
            Issue.record("a restore over existing files succeeded")
        } catch {
            #expect(error.code == .alreadyExists)
            #expect(error.message.contains(target + "/"), "\(error.message)")
        }
        #expect(try TestFileSystem.readFile(victim) == Array("changed".utf8))
        #expect(try TestFileSystem.status(Array((target + "/nested").utf8)) == nil, "nothing was restored")

        var options = RestoreOptions()
        options.overwrite = true
        let report = try await RestoreEngine(repository: repository, options: options).restore(snapshot, subpath: subpath, into: Array(target.utf8))
        #expect(report.isComplete, "\(report.failures)")
        // The target existed, so it keeps its own metadata; everything in it is replaced.
        var compare = TreeComparer.Options()
        compare.compareRoots = false
        try expectEqual(source, target, compare)
    }

    @Test("a damaged grain: the file is reported with its key and left out, everything else is restored")
    func damagedGrain() async throws {
        try TestFileSystem.makeDirectory(Array(source.utf8))
        let victim = SplitMix64.bytes(300_000, seed: 77)
        try TestFileSystem.writeFile(Array((source + "/victim").utf8), victim)
        try TestFileSystem.writeFile(Array((source + "/bystander").utf8), SplitMix64.bytes(300_000, seed: 78))
        try TestFileSystem.writeFile(Array((source + "/small").utf8), Array("small".utf8))
        let basinPath = scratch.path("basin")
        let snapshotID = try await SnapshotFixture.makeLocalBasin(at: basinPath, backingUp: source)
        _ = try SnapshotFixture.damage(victim, inLocalBasin: basinPath)
        let repository = try await SnapshotFixture.localRepository(at: basinPath, create: false)
        let snapshot = try await repository.resolve(snapshotID)
        let target = scratch.path("damaged-out")
        let report = try await RestoreEngine(repository: repository)
            .restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
        let failure = try #require(report.failures.first)
        #expect(report.failures.count == 1)
        #expect(failure.path == target + "/victim" && failure.code == "corrupted")
        let key = try await repository.entry(at: RestoreEngine.components(of: Array((source + "/victim").utf8)), in: snapshot).content
        #expect(failure.message.contains(try #require(key).hex), "\(failure.message)")
        #expect(try TestFileSystem.status(Array((target + "/victim").utf8)) == nil)
        #expect(report.files == 2)
        #expect(try TestFileSystem.readFile(Array((target + "/bystander").utf8)) == SplitMix64.bytes(300_000, seed: 78))
    }

    @Test("verify notices a file that differs from its key after it was written")
    func verifyCatchesAlteredFile() async throws {
        try TestFileSystem.makeDirectory(Array(source.utf8))
        for name in ["a", "b", "c"] {
            try TestFileSystem.writeFile(Array((source + "/" + name).utf8), SplitMix64.bytes(50_000, seed: UInt64(name.utf8.first!)))
        }
        let repository = try await repository(encryption: .chacha20Poly1305)
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        var engine = RestoreEngine(repository: repository)
        engine.options.verify = true
        engine.hooks.afterContentWritten = { fd, relative in
            guard relative == Array("b".utf8) else { return }
            TestFileSystem.overwriteByte(fd, at: 1000, with: 0xAA)
        }
        let target = scratch.path("verified")
        let report = try await engine.restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)), into: Array(target.utf8))
        #expect(report.verifiedFiles == 2)
        #expect(report.failures.map(\.path) == [target + "/b"])
        #expect(report.failures.first?.code == "corrupted")
    }

    @Test("as root, owners are restored by id (and only when asked)", CIPrecondition.enabled(if: TestFileSystem.isRoot, "needs root"))
    func ownership() async throws {
        try #require(TestFileSystem.isRoot, "needs root (CI runs as root)")
        try TestFileSystem.makeDirectory(Array(source.utf8))
        let file = Array((source + "/owned").utf8)
        try TestFileSystem.writeFile(file, Array("x".utf8), mode: 0o6750)
        try TestFileSystem.changeOwner(file, uid: 4321, gid: 8765)
        try TestFileSystem.changeMode(file, 0o6750)
        try TestFileSystem.makeSymlink(Array((source + "/link").utf8), target: Array("owned".utf8))
        try TestFileSystem.changeOwner(Array((source + "/link").utf8), uid: 1234, gid: 5678)
        let repository = try await repository()
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        let subpath = RestoreEngine.components(of: Array(source.utf8))
        let target = scratch.path("owners")
        _ = try await RestoreEngine(repository: repository).restore(snapshot, subpath: subpath, into: Array(target.utf8))
        let restored = try #require(try TestFileSystem.status(Array((target + "/owned").utf8)))
        #expect(restored.uid == 4321 && restored.gid == 8765)
        #expect(restored.mode == 0o6750, "set-id bits survive the chown")
        let link = try #require(try TestFileSystem.status(Array((target + "/link").utf8)))
        #expect(link.uid == 1234 && link.gid == 5678)

        var options = RestoreOptions()
        options.restoreOwnership = false
        let mine = scratch.path("mine")
        _ = try await RestoreEngine(repository: repository, options: options).restore(snapshot, subpath: subpath, into: Array(mine.utf8))
        #expect(try TestFileSystem.status(Array((mine + "/owned").utf8))?.uid == 0)
    }

    @Test("sockets are skipped with a warning; entries of a hand-made tree come back with their metadata")
    func handMadeTree() async throws {
        let repository = try await repository()
        let time = TreeEntry.Timestamp(seconds: 1_234_567_890, nanoseconds: 123_456_789)
        let content = Array("hello\n".utf8)
        let key = try await repository.basin.writeValue(content)
        let inner = try await repository.saveTree(Tree(entries: [
            TreeEntry(name: Array("hello".utf8), type: .file, mode: 0o640, modificationTime: time, size: 6, content: key),
        ]))
        let root = try await repository.saveTree(Tree(entries: [
            TreeEntry(name: Array("socket".utf8), type: .socket, mode: 0o755, modificationTime: time),
            TreeEntry(name: Array("dir".utf8), type: .directory, mode: 0o711, modificationTime: time, content: inner),
            TreeEntry(name: [0xC3, 0x28], type: .symlink, modificationTime: time, linkTarget: Array("dir/hello".utf8)),
        ]))
        let snapshot = try await SnapshotFixture.save(root: root, paths: ["/"], in: repository)
        let target = scratch.path("hand")
        let report = try await RestoreEngine(repository: repository).restore(snapshot, into: Array(target.utf8))
        #expect(report.warnings.count == 1 && report.warnings[0].contains("socket"))
        #expect(try TestFileSystem.status(Array((target + "/socket").utf8)) == nil)
        let directory = try #require(try TestFileSystem.status(Array((target + "/dir").utf8)))
        #expect(directory.mode == 0o711 && directory.modificationTime == time)
        let file = try #require(try TestFileSystem.status(Array((target + "/dir/hello").utf8)))
        #expect(file.mode == 0o640 && file.modificationTime == time)
        #expect(try TestFileSystem.readFile(Array((target + "/dir/hello").utf8)) == content)
        #expect(try TestFileSystem.linkTarget(Array(target.utf8) + [UInt8(ascii: "/"), 0xC3, 0x28]) == Array("dir/hello".utf8))
    }

    @Test("progress reaches the totals")
    func progress() async throws {
        try TestFileSystem.makeDirectory(Array(source.utf8))
        for index in 0..<5 {
            try TestFileSystem.writeFile(Array((source + "/f\(index)").utf8), SplitMix64.bytes(100_000 * index, seed: UInt64(index)))
        }
        let repository = try await repository()
        let snapshot = try await SnapshotFixture.backUp(source, to: repository)
        let last = LastProgress()
        _ = try await RestoreEngine(repository: repository).restore(snapshot, subpath: RestoreEngine.components(of: Array(source.utf8)),
                                                                     into: Array(scratch.path("progress").utf8)) { last.set($0) }
        let final = try #require(last.value)
        #expect(final.filesTotal == 5 && final.filesDone == 5)
        #expect(final.bytesTotal == 1_000_000 && final.bytesDone == 1_000_000)
    }
}

/// The last progress value reported (from any thread).
final class LastProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: RestoreProgress?

    func set(_ progress: RestoreProgress) {
        lock.lock()
        defer { lock.unlock() }
        stored = progress
    }

    var value: RestoreProgress? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
