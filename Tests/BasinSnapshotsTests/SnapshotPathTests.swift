import BasinBackend
import BasinCore
import BasinSnapshots
import BasinStore
import Testing

@Suite("SnapshotPath and entry display")
struct SnapshotPathTests {
    @Test("absolute paths split into byte components; . and empty parts dropped; \\xNN is a byte")
    func parse() throws {
        #expect(try SnapshotPath(parsing: Array("/".utf8)).components == [])
        #expect(try SnapshotPath(parsing: Array("/home//u/./docs/".utf8)).components == [Array("home".utf8), Array("u".utf8), Array("docs".utf8)])
        #expect(try SnapshotPath(parsing: Array("/a\\xffb/c\\x".utf8)).components == [[0x61, 0xff, 0x62], Array("c\\x".utf8)])
        #expect(SnapshotPath([[0x61, 0xff], Array("b".utf8)]).description == "/a\\xff/b")
        #expect(SnapshotPath([]).description == "/")
    }

    @Test("a path joins, extends and shortens by components")
    func components() {
        let docs = SnapshotPath([Array("home".utf8), [0x75, 0xff]]).appending(Array("docs".utf8))
        #expect(docs.bytes == Array("/home/u".utf8) + [0xff] + Array("/docs".utf8))
        #expect(docs.description == "/home/u\\xff/docs")
        #expect(docs.name == Array("docs".utf8))
        #expect(docs.parent == SnapshotPath([Array("home".utf8), [0x75, 0xff]]))
        #expect(SnapshotPath().parent == SnapshotPath() && SnapshotPath().name == nil && SnapshotPath().bytes == Array("/".utf8))
        #expect(SnapshotPath([Array("a\nb".utf8)]).line == "/a\\x0ab")
    }

    @Test("relative paths and .. are refused", arguments: ["home/u", "", "/home/../etc"])
    func refused(path: String) {
        #expect(throws: BasinError.self) { try SnapshotPath(parsing: Array(path.utf8)).components }
    }

    @Test("permissions read as ls -l shows them", arguments: [
        (TreeEntry.EntryType.file, UInt32(0o644), "-rw-r--r--"), (.directory, 0o755, "drwxr-xr-x"),
        (.symlink, 0o777, "lrwxrwxrwx"), (.file, 0o4755, "-rwsr-xr-x"), (.file, 0o2644, "-rw-r-Sr--"),
        (.directory, 0o1777, "drwxrwxrwt"), (.directory, 0o1770, "drwxrwx--T"), (.fifo, 0o600, "prw-------"),
        (.characterDevice, 0o666, "crw-rw-rw-"), (.blockDevice, 0o660, "brw-rw----"), (.socket, 0o755, "srwxr-xr-x"),
        (.file, 0, "----------"),
    ])
    func permissions(type: TreeEntry.EntryType, mode: UInt32, expected: String) {
        #expect(TreeEntry(name: [0x61], type: type, mode: mode).permissions == expected)
    }
}
