import BasinTestSupport
import Testing
@testable import BasinCore

/// Sealed objects against the golden files `scripts/golden_format.py` writes from
/// docs/FORMAT.md (§7, §13): the code opens them and, sealing their plaintext again with the
/// same salt, writes exactly their bytes.
@Suite("Sealed objects: golden bytes written from the spec")
struct SealedObjectGoldenTests {
    static let kinds = ["snapshot-ref", "lock", "condemnation", "root-record"]
    static let cases = GoldenFile.algorithms.flatMap { algorithm in kinds.map { (algorithm.algorithm, "\($0)-\(algorithm.label).hex") } }

    @Test("each golden sealed object opens, and sealing its plaintext again gives its bytes", arguments: cases)
    func openAndSealAgain(algorithm: PayloadAlgorithm, file: String) throws {
        let golden = try GoldenFile.hex(file)
        let name = try #require(golden.name, "\(file) names no object")
        let plain = try SealedObject.open(golden.bytes, name: name, algorithm: algorithm, masterKey: GoldenFile.masterKey)
        let sealed = try SealedObject.seal(plain, name: name, algorithm: algorithm, masterKey: GoldenFile.masterKey,
                                           salt: GoldenFile.objectSalt)
        #expect(Hex.encode(sealed) == Hex.encode(golden.bytes))
        if algorithm != .none {
            // The name is the associated data: the same bytes under another name do not open.
            #expect(throws: CodecError.self) {
                try SealedObject.open(golden.bytes, name: name + "0", algorithm: algorithm, masterKey: GoldenFile.masterKey)
            }
        }
    }

    @Test("a golden root record decodes to its operations, is encoded to the same bytes, and its name carries its time",
          arguments: GoldenFile.algorithms.map(\.algorithm))
    func rootRecord(algorithm: PayloadAlgorithm) throws {
        let (name, plain) = try GoldenFile.openSealed("root-record", algorithm)
        let record = try RootRecord.decode(plain)
        let keys = GoldenFile.keyFunction(algorithm)
        let stored = keys.key(of: Array("stored value".utf8)), named = keys.key(of: Array("named value".utf8))
        #expect(record == RootRecord(time: 1_795_654_923_123_456_789, isCheckpoint: false, operations: [
            .addKey(stored), .setName("photos/2026 é", named), .removeKey(named), .removeName("old"),
        ]))
        #expect(record.encoded() == plain)
        #expect(name.hasPrefix("roots/" + Hex.encode(UInt64(record.time))))
    }

    @Test("a golden snapshot ref is named by the key of the record it holds", arguments: GoldenFile.algorithms.map(\.algorithm))
    func snapshotRefName(algorithm: PayloadAlgorithm) throws {
        let (name, plain) = try GoldenFile.openSealed("snapshot-ref", algorithm)
        #expect(name == "snapshots/" + GoldenFile.keyFunction(algorithm).key(of: plain).hex)
    }
}
