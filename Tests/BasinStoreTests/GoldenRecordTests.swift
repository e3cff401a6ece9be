import BasinBackend
import BasinCore
import Foundation
import Testing
@testable import BasinStore

/// Key files, locks and condemnation records against the golden files
/// `scripts/golden_format.py` writes from docs/FORMAT.md (§3, §10, §11). Their writers draw
/// random salts and nonces, so the code reads each golden and finds what the spec put in it.
@Suite("Key files and records: golden bytes written from the spec")
struct GoldenRecordTests {
    @Test("the golden key file opens with its password to the golden master and id keys, and not with another")
    func keyFile() throws {
        let name = "keys/0123456789abcdef"
        let file = try KeyFile.decode(Array(try GoldenFile.text("keyfile.json").utf8), name: name)
        #expect(file.kdfParameters == .standard)
        let keys = try #require(try file.open(password: GoldenFile.password, name: name))
        #expect(keys.masterKey == GoldenFile.masterKey)
        #expect(keys.idKey == GoldenFile.idKey)
        #expect(try file.open(password: GoldenFile.password + "!", name: name) == nil)
    }

    @Test("a key file whose salt is not the 32 bytes FORMAT.md gives it is malformed, and named", arguments: [0, 16, 31, 33])
    func keyFileSaltLength(bytes: Int) throws {
        let name = "keys/0123456789abcdef"
        var file = try KeyFile.decode(Array(try GoldenFile.text("keyfile.json").utf8), name: name)
        file.salt = String(repeating: "ab", count: bytes)
        let error = try #require(throws: BasinError.self) { try file.open(password: GoldenFile.password, name: name) }
        #expect(error.code == .corrupted && error.message.contains(name), "\(error)")
    }

    @Test("each golden lock opens to the record the spec describes", arguments: GoldenFile.algorithms.map(\.algorithm))
    func lock(algorithm: PayloadAlgorithm) throws {
        let (name, plain) = try GoldenFile.openSealed("lock", algorithm)
        let record = try LockRecord.decode(plain, name: name)
        #expect(record.hostname == "golden-host" && record.pid == 4242 && record.username == "golden")
        #expect(record.operation == "backup" && !record.exclusive)
        #expect(abs(record.takenAt.timeIntervalSince1970 - 1_795_654_923.123) < 0.0005)
        #expect(abs(record.refreshedAt.timeIntervalSince1970 - 1_795_655_223.456) < 0.0005)
        // Sorted keys, no spaces: the writer's own encoding is byte for byte the spec's.
        #expect(String(decoding: record.encoded(), as: UTF8.self) == String(decoding: plain, as: UTF8.self))
    }

    @Test("each golden condemnation record opens to the strata it names", arguments: GoldenFile.algorithms.map(\.algorithm))
    func condemnation(algorithm: PayloadAlgorithm) throws {
        let (name, plain) = try GoldenFile.openSealed("condemnation", algorithm)
        let record = try CondemnationRecord.decode(plain, name: name)
        #expect(record.hostname == "golden-host")
        #expect(abs(record.date.timeIntervalSince1970 - 1_795_654_923.123) < 0.0005)
        #expect(record.strata.map(\.lane) == ["data", "meta"])
        #expect(record.stratumIDs == [0x0123_4567_89ab_cdef, 0xff])
        #expect(record.bytes == 1_048_576 + 4096)
        #expect(String(decoding: record.encoded(), as: UTF8.self) == String(decoding: plain, as: UTF8.self))
    }
}
