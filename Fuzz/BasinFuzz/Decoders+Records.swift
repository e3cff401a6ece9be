import BasinCore
import BasinS3
import BasinSnapshots
import BasinStore
import Foundation

/// Snapshot records and refs, and the JSON objects of BasinStore: config, key files, locks,
/// condemnation records.
extension FuzzDecoder {
    static let snapshotRecord = FuzzDecoder(name: "snapshot-record", maxLength: 4 << 10, run: { input in
        checkSnapshotRecord(input)
    }, seeds: Seeds.snapshotRecords)

    private static func checkSnapshotRecord(_ plain: [UInt8]) -> Bool {
        guard let record = try? SnapshotRecord.decode(plain) else { return false }
        check((try? SnapshotRecord.decode(record.encoded())) == record, "snapshot record does not re-encode")
        _ = (record.date, record.treeKey)
        return true
    }

    /// Mode byte, then a sealed object named like a snapshot ref, holding a snapshot record.
    static let snapshotRef = FuzzDecoder(name: "snapshot-ref", maxLength: 4 << 10, run: { input in
        guard let (mode, original) = Mode.split(input) else { return false }
        var bytes = original
        if mode.repairs, bytes.count >= 44 {
            if mode.sealsPayload, let sealed = try? SealedObject.seal(
                Array(bytes[40..<(bytes.count - 4)]), name: Fixture.refName, algorithm: mode.algorithm,
                masterKey: Fixture.masterKey, salt: Array(bytes[8..<40])) {
                bytes = Array(bytes[0..<8]) + sealed[8...]
            }
            bytes.storeUInt32(XXH32.hash(bytes[0..<(bytes.count - 4)]), at: bytes.count - 4)
        }
        guard let plain = try? SealedObject.open(bytes, name: Fixture.refName, algorithm: mode.algorithm,
                                                 masterKey: Fixture.masterKey) else { return false }
        let resealed = try? SealedObject.seal(plain, name: Fixture.refName, algorithm: mode.algorithm,
                                              masterKey: Fixture.masterKey, salt: Array(bytes[8..<40]))
        check(resealed == bytes, "sealed object does not re-seal to itself")
        return checkSnapshotRecord(plain)
    }, seeds: Seeds.snapshotRefs)

    static let config = FuzzDecoder(name: "config", maxLength: 4 << 10, run: { input in
        guard let config = try? BasinConfig.decode(input, location: "fuzz") else { return false }
        check((try? config.encoded()).flatMap { try? BasinConfig.decode($0, location: "fuzz") } == config, "config does not re-encode")
        _ = (config.fastCDCParameters, config.payloadAlgorithm, config.compressionLevel)
        return true
    }, seeds: Seeds.configs)

    static let keyFile = FuzzDecoder(name: "key-file", maxLength: 4 << 10, run: { input in
        guard let file = try? KeyFile.decode(input, name: "keys/fuzz") else { return false }
        check((try? file.encoded()).flatMap { try? KeyFile.decode($0, name: "keys/fuzz") } == file, "key file does not re-encode")
        // Not open(): scrypt with the file's parameters is far too slow for fuzzing.
        _ = try? file.validated(name: "keys/fuzz")
        return true
    }, seeds: Seeds.keyFiles)

    static let lock = FuzzDecoder(name: "lock", maxLength: 4 << 10, run: { input in
        guard let record = try? LockRecord.decode(input, name: "locks/fuzz") else { return false }
        check((try? LockRecord.decode(record.encoded(), name: "locks/fuzz")) == record, "lock record does not re-encode")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        _ = (record.takenAt, record.refreshedAt, record.describe(now: now),
             record.isStale(now: now, staleAfter: 1800, localHost: "fuzz-host"), record.remedy(staleAfter: 1800, localHost: "fuzz-host"))
        return true
    }, seeds: Seeds.locks)

    static let condemnation = FuzzDecoder(name: "condemnation", maxLength: 4 << 10, run: { input in
        guard let record = try? CondemnationRecord.decode(input, name: "condemned/fuzz") else { return false }
        check((try? CondemnationRecord.decode(record.encoded(), name: "condemned/fuzz")) == record,
              "condemnation record does not re-encode")
        _ = (record.date, record.stratumIDs, record.bytes)
        return true
    }, seeds: Seeds.condemnations)
}

/// What users and S3 servers hand over as text: locations, patterns, paths, XML answers.
extension FuzzDecoder {
    static let location = FuzzDecoder(name: "location", maxLength: 512, run: { input in
        let text = String(decoding: input, as: UTF8.self)
        var parsed = false
        for style in [S3Location.AddressingStyle.path, .virtualHosted] {
            guard let location = try? S3Location(text, addressingStyle: style) else { continue }
            check((try? S3Location(location.description, addressingStyle: style)) == location, "location does not re-parse")
            _ = location.endpoint
            parsed = true
        }
        return parsed
    }, seeds: Seeds.locations)

    static let s3XML = FuzzDecoder(name: "s3-xml", maxLength: 8 << 10, run: { input in
        guard let root = try? S3XML.parse(input) else { return false }
        var pending = [root]
        while let element = pending.popLast() {
            _ = element.value("Key")
            pending.append(contentsOf: element.children)
        }
        return true
    }, seeds: Seeds.s3XML)

    /// A pattern, a newline, then a path matched against it.
    static let pathPattern = FuzzDecoder(name: "path-pattern", maxLength: 512, run: { input in
        let (text, subject) = patternAndSubject(input)
        guard let pattern = try? PathPattern(text) else { return false }
        let path = subject.split(separator: UInt8(ascii: "/")).map(Array.init)
        _ = (pattern.matches(path), pattern.mayMatchInside(path))
        return true
    }, seeds: Seeds.pathPatterns)

    /// A pattern, a newline, then a name matched against it (as is and ignoring case).
    static let namePattern = FuzzDecoder(name: "name-pattern", maxLength: 512, run: { input in
        let (text, name) = patternAndSubject(input)
        var parsed = false
        for ignoringCase in [false, true] {
            guard let pattern = try? NamePattern(text, ignoringCase: ignoringCase) else { continue }
            _ = pattern.matches(name)
            parsed = true
        }
        return parsed
    }, seeds: Seeds.namePatterns)

    private static func patternAndSubject(_ input: [UInt8]) -> (String, [UInt8]) {
        let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
        return (String(decoding: input[..<newline], as: UTF8.self), Array(input[newline...].dropFirst()))
    }

    static let snapshotPath = FuzzDecoder(name: "snapshot-path", maxLength: 512, run: { input in
        guard let path = try? SnapshotPath(parsing: input) else { return false }
        for component in path.components {
            check(!component.isEmpty && component != Array(".".utf8) && component != Array("..".utf8),
                  "snapshot path has an empty, '.' or '..' component")
        }
        _ = (path.description, path.line)
        return true
    }, seeds: Seeds.snapshotPaths)
}
