import BasinSystem
import BasinTestSupport
import Glibc
import SystemPackage
import Testing

@Suite("BasinSystem")
struct FileDescriptorTests {
    @Test func aFailureNamesTheCallThePathAndTheErrno() throws {
        let directory = try TestDirectory("system")
        let missing = directory.bytes + Array("/no/such/file".utf8)
        let error = try #require(throws: SystemError.self) {
            try FileDescriptor.currentDirectory.open(missing, .readOnly)
        }
        #expect(error.call == "openat" && error.path == missing && error.errno == .noSuchFileOrDirectory)
        #expect(error.description == "openat \(directory.path)/no/such/file: No such file or directory")
    }

    @Test func namesNeedNotBeUTF8() throws {
        let directory = try TestDirectory("system")
        let root = try FileDescriptor.currentDirectory.open(directory.bytes, .readOnly, options: .directory)
        defer { try? root.closeOnce() }
        let odd: [UInt8] = [0xFF, 0xFE, 0x41]
        let file = try root.open(odd, .writeOnly, options: [.create, .exclusiveCreate])
        try file.write([1, 2, 3])
        try file.closeOnce()
        try root.makeDirectory([0x80], permissions: .ownerReadWriteExecute)
        let entries = try root.directoryEntries().sorted { $0.name.lexicographicallyPrecedes($1.name) }
        #expect(entries.map(\.name) == [[0x80], odd])
        #expect(try root.status(of: odd).size == 3)
        #expect(try root.status(of: [0x80]).type == .directory)
    }

    @Test func renameNoReplaceNeverReplacesAndRenameDoes() throws {
        let directory = try TestDirectory("system")
        let cwd = FileDescriptor.currentDirectory
        let a = Array(directory.path("a").utf8), b = Array(directory.path("b").utf8), c = Array(directory.path("c").utf8)
        try TestFileSystem.writeFile(a, [1])
        try TestFileSystem.writeFile(b, [2])
        let error = try #require(throws: SystemError.self) { try cwd.renameNoReplace(a, to: b) }
        #expect(error.errno == .fileExists)
        #expect(try TestFileSystem.readFile(b) == [2] && TestFileSystem.readFile(a) == [1])
        try cwd.renameNoReplace(a, to: c)
        #expect(try TestFileSystem.status(a) == nil && TestFileSystem.readFile(c) == [1])
        try cwd.rename(c, to: b)
        #expect(try TestFileSystem.status(c) == nil && TestFileSystem.readFile(b) == [1])
    }

    @Test func readsStopAtTheEndAndLongLinksAreReadWhole() throws {
        let directory = try TestDirectory("system")
        let path = Array(directory.path("f").utf8)
        let content = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try TestFileSystem.writeFile(path, content)
        let fd = try FileDescriptor.currentDirectory.open(path, .readOnly)
        defer { try? fd.closeOnce() }
        #expect(try fd.read(count: 4_000, at: 8_000) == Array(content[8_000...]))
        #expect(try fd.read(count: 10, at: 20_000) == [])
        #expect(try fd.read(upTo: 3) == Array(content[..<3]))
        // Longer than the first guess of 256 bytes: the buffer grows until the target fits.
        let target = Array(repeating: UInt8(ascii: "t"), count: 1_000)
        try TestFileSystem.makeSymlink(Array(directory.path("link").utf8), target: target)
        #expect(try FileDescriptor.currentDirectory.readLink(Array(directory.path("link").utf8)) == target)
    }

    @Test func sparseWritesLeaveWholeZeroBlocksAsHoles() throws {
        let directory = try TestDirectory("system")
        let path = Array(directory.path("sparse").utf8)
        let fd = try FileDescriptor.currentDirectory.open(path, .readWrite, options: [.create, .exclusiveCreate])
        defer { try? fd.closeOnce() }
        let block = 4096
        var content = [UInt8](repeating: 0, count: 64 * block)
        content[5] = 1
        content[63 * block + 7] = 2
        try fd.writeSparse(content, at: 0, blockSize: block)
        try fd.setSize(Int64(content.count))
        #expect(try fd.read(count: content.count, at: 0) == content)
        // Two blocks written, 62 left as holes (tmpfs and ext4 both keep holes).
        #expect(try fd.status().rawValue.st_blocks * 512 < 8 * block)
    }

    @Test func extendedAttributesRoundTripWithoutFollowingSymlinks() throws {
        let directory = try TestDirectory("system")
        let path = Array(directory.path("x").utf8)
        try TestFileSystem.writeFile(path, [])
        let first = Result { () throws(SystemError) in try ExtendedAttributes.set(path: path, name: Array("user.b".utf8), value: []) }
        if case .failure(let error) = first {
            if error.errno == .notSupported { return }  // this file system has no user attributes
            throw error
        }
        try ExtendedAttributes.set(path: path, name: Array("user.a".utf8), value: [0, 0xFF])
        let attributes = try ExtendedAttributes.list(path: path).filter { $0.name.starts(with: Array("user.".utf8)) }
        #expect(attributes.map(\.name) == [Array("user.a".utf8), Array("user.b".utf8)])
        #expect(attributes.map(\.value) == [[0, 0xFF], []])
    }
}
