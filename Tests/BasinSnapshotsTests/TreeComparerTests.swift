import BasinCore
import BasinTestSupport
import Foundation
import Testing

/// The comparer and generator that restore (and backup) round trips rely on: the generator
/// makes what it promises, deterministically, and the comparer notices each kind of change.
@Suite("TreeComparer and TreeGenerator")
struct TreeComparerTests {
    let scratch: TestDirectory
    let left: String
    let right: String

    init() throws {
        scratch = try TestDirectory("comparer")
        left = scratch.path("left")
        right = scratch.path("right")
    }

    var small: TreeGenerator.Options {
        var options = TreeGenerator.Options()
        options.largeFileSizes = [300_000]
        return options
    }

    func bytes(_ path: String) -> [UInt8] { Array(path.utf8) }

    @Test("the generator makes every entry type and odd name, the same tree from the same seed")
    func generator() throws {
        let summary = try TreeGenerator.generate(at: left, options: small)
        _ = try TreeGenerator.generate(at: right, options: small)
        #expect(try TreeComparer.compare(source: left, restored: right).isEmpty)
        var types: Set<TreeEntry.EntryType> = [.file, .directory, .symlink, .fifo]
        if TestFileSystem.isRoot { types.insert(.characterDevice) }
        let all = try TestFileSystem.paths(below: bytes(left))
        let found = Set(try all.map { try TestFileSystem.status(TestFileSystem.join(bytes(left), $0))!.type })
        #expect(found == types)
        let names = all.map { $0.split(separator: UInt8(ascii: "/")).last.map(Array.init) ?? [] }
        #expect(names.contains(TreeGenerator.longName) && TreeGenerator.longName.count == 255)
        #expect(names.contains { String(validating: $0, as: UTF8.self) == nil })
        #expect(names.contains { $0.contains(0x0A) } && names.contains { $0.first == UInt8(ascii: "-") })
        #expect(summary.linkGroups.count == 2)
        let setuid = try #require(try TestFileSystem.status(bytes(left + "/modes/setuid")))
        #expect(setuid.mode == 0o4755 && setuid.modificationTime.nanoseconds != 0)
        #expect(try TestFileSystem.status(bytes(left + "/empty-dir")).map { $0.type } == .directory)
        #expect(try TestFileSystem.status(bytes(left + "/links/dangling")).map { $0.type } == .symlink)
    }

    typealias Change = (name: String, kind: TreeComparer.Difference.Kind, path: String, apply: @Sendable (String) throws -> Void)

    static let changes: [Change] = [
        ("content, same size", .content, "plain.txt", { root in
            let path = Array((root + "/plain.txt").utf8)
            let time = try TestFileSystem.status(path)!.modificationTime
            var content = try TestFileSystem.readFile(path)
            content[50] ^= 1
            try TestFileSystem.writeFile(path, content)
            try TestFileSystem.setTimes(path, time)
        }),
        ("mode", .mode, "modes/private", { root in try TestFileSystem.changeMode(Array((root + "/modes/private").utf8), 0o640) }),
        ("time", .modificationTime, "nested/a/sibling", { root in
            try TestFileSystem.setTimes(Array((root + "/nested/a/sibling").utf8), .init(seconds: 5, nanoseconds: 5))
        }),
        ("missing", .missing, "empty", { root in try TestFileSystem.removeTree(Array((root + "/empty").utf8)) }),
        ("unexpected", .unexpected, "extra", { root in try TestFileSystem.writeFile(Array((root + "/extra").utf8), []) }),
        ("symlink target", .linkTarget, "links/dangling", { root in
            let path = Array((root + "/links/dangling").utf8)
            try TestFileSystem.removeTree(path)
            try TestFileSystem.makeSymlink(path, target: Array("elsewhere".utf8))
        }),
        ("hard link broken", .hardLinks, "links/hard1", { root in
            let path = Array((root + "/links/hard1").utf8)
            let content = try TestFileSystem.readFile(path)
            try TestFileSystem.removeTree(path)
            try TestFileSystem.writeFile(path, content)
        }),
        ("extended attribute", .extendedAttributes, "xattrs/file", { root in
            try TestFileSystem.setExtendedAttribute(Array((root + "/xattrs/file").utf8), name: Array("user.comment".utf8), value: Array("bye".utf8))
        }),
        ("type", .type, "special/fifo", { root in
            let path = Array((root + "/special/fifo").utf8)
            try TestFileSystem.removeTree(path)
            try TestFileSystem.writeFile(path, [])
        }),
    ]

    @Test("each kind of change is reported at its path", arguments: 0..<changes.count)
    func detects(index: Int) throws {
        let change = Self.changes[index]
        _ = try TreeGenerator.generate(at: left, options: small)
        _ = try TreeGenerator.generate(at: right, options: small)
        try change.apply(right)
        let differences = try TreeComparer.compare(source: left, restored: right)
        #expect(differences.contains { $0.kind == change.kind && $0.path == change.path }, "\(change.name): \(differences)")
    }

    @Test("other owners are noticed", CIPrecondition.enabled(if: TestFileSystem.isRoot, "needs root"))
    func owner() throws {
        try #require(TestFileSystem.isRoot, "needs root (CI runs as root)")
        _ = try TreeGenerator.generate(at: left, options: small)
        _ = try TreeGenerator.generate(at: right, options: small)
        try TestFileSystem.changeOwner(bytes(right + "/plain.txt"), uid: 99, gid: 99)
        #expect(try TreeComparer.compare(source: left, restored: right).map(\.kind).contains(.owner))
    }
}
