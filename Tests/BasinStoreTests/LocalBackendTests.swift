import BasinBackend
import BasinStore
import BasinSystem
import BasinTestSupport
import Foundation
import SystemPackage
import Testing
@testable import BasinLocal

@Suite("LocalBackend")
struct LocalBackendTests {
    @Test func openingAMissingDirectoryIsNotFoundNamingThePath() async throws {
        try await withTemporaryDirectory { directory in
            let missing = directory + "/no/such/basin"
            await expectBasinError(.notFound, naming: missing) { try LocalBackend(directory: missing, create: false) }
            let backend = try LocalBackend(directory: missing + "/", create: true)
            #expect(backend.directory == missing)
            #expect(backend.location == missing)
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: missing, isDirectory: &isDirectory) && isDirectory.boolValue)
            _ = try LocalBackend(directory: missing, create: false)
            _ = try LocalBackend(directory: missing, create: true)
        }
    }

    @Test func openingAFileIsInvalid() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory + "/file"
            #expect(FileManager.default.createFile(atPath: file, contents: Data([1])))
            await expectBasinError(.invalidArgument, naming: file) { try LocalBackend(directory: file, create: false) }
            await expectBasinError(.invalidArgument, naming: file) { try LocalBackend(directory: file, create: true) }
        }
    }

    @Test func objectsArePlainFilesAtTheirLocalPath() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try LocalBackend(directory: directory, create: false)
            let bytes = testBytes(12_345, seed: 11)
            try await backend.write("data/3f/3f9a0c.stratum", bytes: bytes)
            #expect(backend.localPath(of: "data/3f/3f9a0c.stratum") == directory + "/data/3f/3f9a0c.stratum")
            let onDisk = FileManager.default.contents(atPath: directory + "/data/3f/3f9a0c.stratum")
            #expect(onDisk.map { [UInt8]($0) } == bytes)
            #expect(filesBelow(directory) == ["data/3f/3f9a0c.stratum"])
        }
    }

    @Test func noTemporaryFileIsLeftAfterFailures() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try LocalBackend(directory: directory, create: false)
            try await backend.write("data/aa/obj", bytes: [1])
            await expectBasinError(.alreadyExists, naming: "data/aa/obj") { try await backend.write("data/aa/obj", bytes: [2]) }
            #expect(temporaryFilesBelow(directory).isEmpty)

            // A streamed upload writes a temporary file in the object's own directory.
            let taken = try await backend.beginWrite("data/aa/obj")
            try await taken.append([3, 4])
            let temporaries = temporaryFilesBelow(directory)
            #expect(temporaries.count == 1 && temporaries[0].hasPrefix("data/aa/.tmp-"), "\(temporaries)")
            await expectBasinError(.alreadyExists, naming: "data/aa/obj") { try await taken.commit() }
            #expect(temporaryFilesBelow(directory).isEmpty)

            let aborted = try await backend.beginWrite("data/bb/aborted")
            try await aborted.append([5])
            await aborted.abort()
            #expect(temporaryFilesBelow(directory).isEmpty)

            // An upload dropped without commit or abort removes its file too.
            do {
                let forgotten = try await backend.beginWrite("data/cc/forgotten")
                try await forgotten.append([6])
                #expect(temporaryFilesBelow(directory).count == 1)
            }
            #expect(temporaryFilesBelow(directory).isEmpty)
            #expect(try await backend.read("data/aa/obj") == [1])
        }
    }

    @Test func staleTemporariesAreIgnoredByListAndRemovable() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try LocalBackend(directory: directory, create: false)
            try await backend.write("data/aa/kept", bytes: [1, 2])
            // One left by a write torn by a crash, two planted by hand, one of them old.
            let faulty = FaultInjectingBackend(wrapping: backend)
            faulty.inject(.init(.tearWrite(keepingBytes: 3), on: [.write]))
            await expectBasinError(.unavailable, naming: "data/bb/torn") {
                try await faulty.write("data/bb/torn", bytes: [9, 9, 9, 9, 9])
            }
            #expect(FileManager.default.createFile(atPath: directory + "/.tmp-0123456789abcdef", contents: Data([7])))
            let old = directory + "/data/aa/.tmp-00000000000000aa"
            #expect(FileManager.default.createFile(atPath: old, contents: Data([8])))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: old)

            let torn = try #require(temporaryFilesBelow(directory).first { $0.hasPrefix("data/bb/") })
            #expect(FileManager.default.contents(atPath: directory + "/" + torn) == Data([9, 9, 9]))
            #expect(temporaryFilesBelow(directory).count == 3)
            #expect(try await backend.list(prefix: "").map(\.name) == ["data/aa/kept"])
            #expect(try await backend.list(prefix: "data/bb/").isEmpty)
            #expect(try await backend.stat("data/bb/torn") == nil)

            // The default age spares files an upload may still be writing.
            #expect(try await backend.removeStaleTemporaries() == 1)
            #expect(!FileManager.default.fileExists(atPath: old))
            #expect(try await backend.removeStaleTemporaries(olderThan: .zero) == 2)
            #expect(temporaryFilesBelow(directory).isEmpty)
            #expect(try await backend.read("data/aa/kept") == [1, 2])
        }
    }

    @Test func aNameBelowAnObjectIsRejected() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try LocalBackend(directory: directory, create: false)
            try await backend.write("meta/a", bytes: [1])
            await expectBasinError(.invalidArgument, naming: "meta/a/b") { try await backend.write("meta/a/b", bytes: [2]) }
            #expect(try await backend.read("meta/a") == [1])
            #expect(temporaryFilesBelow(directory).isEmpty)
        }
    }

    @Test func aNameTooLongForTheFileSystemIsInvalid() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try LocalBackend(directory: directory, create: false)
            let name = "data/" + String(repeating: "f", count: 300)
            await expectBasinError(.invalidArgument, naming: name) { try await backend.write(name, bytes: [1]) }
            #expect(try await backend.stat("data/ok") == nil)
        }
    }

    @Test func aLaneDirectoryMayBeASymbolicLink() async throws {
        try await withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/cold", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: directory + "/basin", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: directory + "/basin/data", withDestinationPath: directory + "/cold")
            let backend = try LocalBackend(directory: directory + "/basin", create: false)
            try await backend.write("data/aa/chunk", bytes: [1, 2, 3])
            #expect(FileManager.default.contents(atPath: directory + "/cold/aa/chunk") == Data([1, 2, 3]))
            #expect(try await backend.list(prefix: "data/") == [ObjectInfo(name: "data/aa/chunk", size: 3)])
            #expect(try await backend.list(prefix: "") == [ObjectInfo(name: "data/aa/chunk", size: 3)])
        }
    }

    @Test func linkFallbackNeverReplaces() async throws {
        try await withTemporaryDirectory { directory in
            let source = directory + "/.tmp-source", target = directory + "/target"
            #expect(FileManager.default.createFile(atPath: source, contents: Data([1])))
            #expect(FileManager.default.createFile(atPath: target, contents: Data([2])))
            #expect(throws: SystemError("linkat", path: Array(target.utf8), errno: .fileExists)) {
                try FileDescriptor.currentDirectory.linkThenRemove(Array(source.utf8), to: Array(target.utf8))
            }
            #expect(FileManager.default.contents(atPath: target) == Data([2]))
            #expect(FileManager.default.contents(atPath: source) == Data([1]))
            try FileDescriptor.currentDirectory.linkThenRemove(Array(source.utf8), to: Array((directory + "/fresh").utf8))
            #expect(FileManager.default.contents(atPath: directory + "/fresh") == Data([1]))
            #expect(!FileManager.default.fileExists(atPath: source))
        }
    }

    @Test(.enabled(if: Tmpfs.isMountable, "needs root to mount a tmpfs"))
    func aFullDiskFailsWithNoSpaceAndKeepsWhatWasStored() async throws {
        try await withTemporaryDirectory { directory in
            let point = directory + "/small"
            try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
            try Tmpfs.mount(point, size: "1m")
            defer { Tmpfs.unmount(point) }
            let backend = try LocalBackend(directory: point + "/basin", create: true)
            let small = testBytes(200_000, seed: 1)
            try await backend.write("data/aa/small", bytes: small)
            try await backend.write("config", bytes: [1, 2, 3])

            await expectBasinError(.noSpace, naming: "data/bb/big") {
                try await backend.write("data/bb/big", bytes: testBytes(2 << 20, seed: 2))
            }
            #expect(temporaryFilesBelow(point).isEmpty)
            #expect(try await backend.stat("data/bb/big") == nil)

            let upload = try await backend.beginWrite("data/cc/streamed")
            var failure: BasinError?
            for piece in 0..<40 {
                do throws(BasinError) { try await upload.append(testBytes(64 << 10, seed: UInt64(piece))) } catch {
                    failure = error
                    break
                }
            }
            #expect(failure?.code == .noSpace)
            #expect(failure?.message.contains("data/cc/streamed") == true, "\(String(describing: failure))")
            #expect(temporaryFilesBelow(point).isEmpty)
            await expectBasinError(.invalidArgument, naming: "data/cc/streamed") { try await upload.commit() }
            #expect(try await backend.stat("data/cc/streamed") == nil)

            #expect(try await backend.read("data/aa/small") == small)
            #expect(try await backend.read("config") == [1, 2, 3])
            // The space the failures took was given back.
            let fits = testBytes(300_000, seed: 3)
            try await backend.write("data/dd/fits", bytes: fits)
            #expect(try await backend.read("data/dd/fits") == fits)
            #expect(Set(try await backend.list(prefix: "").map(\.name)) == ["config", "data/aa/small", "data/dd/fits"])
        }
    }

    @Test func injectedNoSpaceFailsTheWriteAndLeavesNothing() async throws {
        try await withTemporaryDirectory { directory in
            let backend = try LocalBackend(directory: directory, create: false)
            let faulty = FaultInjectingBackend(wrapping: backend)
            try await faulty.write("data/aa/first", bytes: [1])
            faulty.inject(.init(.noSpace, on: [.write, .append]))
            await expectBasinError(.noSpace, naming: "data/aa/second") { try await faulty.write("data/aa/second", bytes: [2]) }
            let upload = try await faulty.beginWrite("data/aa/third")
            await expectBasinError(.noSpace, naming: "data/aa/third") { try await upload.append([3]) }
            await upload.abort()
            #expect(temporaryFilesBelow(directory).isEmpty)
            #expect(try await backend.list(prefix: "").map(\.name) == ["data/aa/first"])
            #expect(try await backend.read("data/aa/first") == [1])
        }
    }
}
