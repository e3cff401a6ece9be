import BasinCore
import BasinSnapshots
import BasinStore
import Foundation

/// Valid encodings made by the real encoders: the seed corpora (Fuzz/Corpus/<decoder>/).
/// Everything is fixed (times, salts, names), so writing the seeds again gives the same files.
enum Seeds {
    static let time = Date(timeIntervalSince1970: 1_780_000_000.25)

    static func key(_ text: String) -> Key { KeyFunction.plain.key(of: Array(text.utf8)) }

    /// A short text (stored as is), a compressible run (compressed) and nothing at all.
    static let plains: [[UInt8]] = [
        Array("a small value".utf8),
        Array(String(repeating: "basin grain ", count: 200).utf8),
        [],
    ]

    /// A stratum of `plains` as blobs and a tree grain, built by StratumBuilder.
    static func stratum(_ algorithm: PayloadAlgorithm) throws -> StratumBuilder {
        var builder = StratumBuilder(header: StratumHeader(lane: .data, algorithm: algorithm, stratumID: Fixture.stratumID,
                                                           salt: Fixture.salt), cipher: Fixture.cipher(algorithm))
        for plain in plains {
            try builder.append(PreparedGrain.prepare(kind: .blob, key: KeyFunction.plain.key(of: plain), plain: plain, compressionLevel: 3))
        }
        let tree = treeValues()[0].encoded()
        try builder.append(PreparedGrain.prepare(kind: .tree, key: KeyFunction.plain.key(of: tree), plain: tree, compressionLevel: 3))
        return builder
    }

    /// Each of `plains` as the first (and only) grain of a stratum, for the frame offset is the
    /// nonce; for encryption also the compressed grain in clear, for the harness to seal.
    static func grainFrames() throws -> [[UInt8]] {
        func frame(_ plain: [UInt8], _ algorithm: PayloadAlgorithm) throws -> [UInt8] {
            var builder = StratumBuilder(header: StratumHeader(lane: .data, algorithm: algorithm, stratumID: Fixture.stratumID,
                                                               salt: Fixture.salt), cipher: Fixture.cipher(algorithm))
            try builder.append(PreparedGrain.prepare(kind: .blob, key: KeyFunction.plain.key(of: plain), plain: plain, compressionLevel: 3))
            return Array(builder.bytes[Fixture.frameOffset...])
        }
        var seeds: [[UInt8]] = []
        for algorithm in [PayloadAlgorithm.none, .chacha20Poly1305] {
            for plain in plains { seeds.append(try [Mode.byte(repairs: true, algorithm: algorithm)] + frame(plain, algorithm)) }
        }
        seeds.append(try [Mode.byte(repairs: true, algorithm: .chacha20Poly1305, sealPayload: true)] + frame(plains[1], .none))
        return seeds
    }

    /// Whole strata in clear and encrypted, and one cut off inside its index grain.
    static func strata() throws -> [[UInt8]] {
        let clear = try stratum(.none).finish()
        let encrypted = try stratum(.chacha20Poly1305).finish()
        return [[Mode.repair] + clear, [Mode.repair] + encrypted, [0] + clear.dropLast(40)]
    }

    static func indexGrains() throws -> [[UInt8]] {
        let builder = try stratum(.none)
        var limit: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        limit.storeUInt32(UInt32(builder.byteCount), at: 0)
        return [limit + StratumIndexGrain.encode(builder.entries), limit + StratumIndexGrain.encode([])]
    }

    static func indexSegments() throws -> [[UInt8]] {
        let builder = try stratum(.none)
        let entries = builder.entries.enumerated().map { index, entry in
            IndexEntry(key: entry.key, stratum: Fixture.stratumID + UInt64(index % 2), offset: entry.offset, length: entry.length,
                       kind: entry.kind.rawValue, plainLength: entry.plainLength)
        }
        let strata = [
            IndexedStratum(id: Fixture.stratumID, lane: .data, size: 4096, entries: builder.entries),
            IndexedStratum(id: Fixture.stratumID + 1, lane: .meta, size: 8192, plainBytes: 100, grainCount: 2, scanned: true),
        ]
        let segment = try IndexSegmentCodec.encode(entries: entries, strata: strata)
        let empty = try IndexSegmentCodec.encode(entries: [], strata: [])
        return [[Mode.repair] + segment, [0] + segment, [Mode.repair] + empty]
    }

    static func clasts() -> [[UInt8]] {
        [Clast(chunks: [.init(key: key("one"), length: 1 << 20), .init(key: key("two"), length: 300)]).encoded(),
         Clast(chunks: []).encoded()]
    }

    static func treeValues() -> [Tree] {
        let stamp = TreeEntry.Timestamp(seconds: 1_780_000_000, nanoseconds: 123_456_789)
        return [
            Tree(entries: [
                TreeEntry(name: Array("notes.txt".utf8), type: .file, mode: 0o644, uid: 1000, gid: 1000, userName: "ann",
                          groupName: "staff", modificationTime: stamp, changeTime: stamp, size: 13, inode: 42, device: 2049,
                          extendedAttributes: [.init(name: Array("user.tag".utf8), value: [1, 2, 3])], content: key("notes")),
                TreeEntry(name: Array("docs".utf8), type: .directory, mode: 0o755, content: key("docs tree")),
                TreeEntry(name: [0x66, 0xFF, 0x6C, 0x6B], type: .symlink, mode: 0o777, linkTarget: Array("../target".utf8)),
                TreeEntry(name: Array("tty".utf8), type: .characterDevice, deviceNumber: 0x0501),
            ]),
            Tree(entries: []),
        ]
    }

    static func trees() -> [[UInt8]] { treeValues().map { $0.encoded() } }

    static func rootRecords() -> [[UInt8]] {
        [RootRecord(time: 1_780_000_000_000_000_000, operations: [
            .addKey(key("kept")), .setName("snapshots/latest", key("snapshot")), .removeName("old"), .removeKey(key("gone")),
        ]).encoded(),
         RootRecord(time: 0, isCheckpoint: true, operations: []).encoded()]
    }

    static func snapshotRecord(summary: Bool) -> SnapshotRecord {
        var counts = SnapshotRecord.Summary()
        counts.filesNew = 3
        counts.bytesAdded = 1 << 20
        counts.durationSeconds = 1.5
        return SnapshotRecord(time: time, hostname: "fuzz-host", username: "ann", paths: ["/home/ann"], tags: ["daily"],
                              parent: summary ? key("parent").hex : nil, tree: key("tree"), excludes: ["*.tmp"],
                              summary: summary ? counts : nil, programVersion: "basin 1.0")
    }

    static func snapshotRecords() -> [[UInt8]] { [true, false].map { snapshotRecord(summary: $0).encoded() } }

    /// Refs sealed in clear and encrypted, and one in clear marked encrypted, for the harness to seal.
    static func snapshotRefs() throws -> [[UInt8]] {
        let plain = snapshotRecord(summary: true).encoded()
        func sealed(_ algorithm: PayloadAlgorithm) throws -> [UInt8] {
            try SealedObject.seal(plain, name: Fixture.refName, algorithm: algorithm, masterKey: Fixture.masterKey, salt: Fixture.salt)
        }
        var toSeal = try sealed(.none)
        toSeal[7] = PayloadAlgorithm.chacha20Poly1305.rawValue
        return try [[Mode.byte(repairs: true, algorithm: .none)] + sealed(.none),
                [Mode.byte(repairs: true, algorithm: .chacha20Poly1305)] + sealed(.chacha20Poly1305),
                [Mode.byte(repairs: true, algorithm: .chacha20Poly1305, sealPayload: true)] + toSeal]
    }

    static func configs() throws -> [[UInt8]] {
        let lanes = ["data": BasinConfig.LaneLocation(location: "s3:http://127.0.0.1:8333/bucket/data", storageClass: "GLACIER"),
                     "meta": BasinConfig.LaneLocation(location: "/srv/basin/meta")]
        return [
            try BasinConfig(id: "00112233445566778899aabbccddeeff", encryption: .chacha20Poly1305, compressionLevel: 3,
                            chunker: .default, stratumTargetSize: 16 << 20, lanes: lanes).encoded(),
            try BasinConfig(id: "ffeeddccbbaa99887766554433221100", encryption: .none, compressionLevel: nil,
                            chunker: .default, stratumTargetSize: 4096, lanes: [:]).encoded(),
        ]
    }

    /// A key file sealed with cheap scrypt parameters, its random and personal fields fixed.
    static func keyFiles() throws -> [[UInt8]] {
        var file = try KeyFile.seal(MasterKeys(masterKey: Fixture.masterKey, idKey: Fixture.salt), password: "fuzz",
                                    parameters: KeyFile.KDFParameters(n: 1 << 10, r: 8, p: 1))
        file.created = "2026-06-01T12:00:00Z"
        file.hostname = "fuzz-host"
        file.username = "ann"
        file.salt = Hex.encode(Fixture.salt)
        file.nonce = Hex.encode([UInt8](repeating: 7, count: 12))
        file.sealedKeys = Hex.encode([UInt8](repeating: 9, count: 80))
        return [try file.encoded()]
    }

    static func locks() -> [[UInt8]] {
        let holder = LockHolder(hostname: "fuzz-host", pid: 4242, username: "ann")
        return [LockRecord(holder: holder, operation: "backup", exclusive: false, time: time, refreshed: time + 300).encoded(),
                LockRecord(holder: holder, operation: "prune", exclusive: true, time: time, refreshed: time).encoded()]
    }

    static func condemnations() throws -> [[UInt8]] {
        var record = CondemnationRecord(time: time, hostname: "fuzz-host", strata: [])
        let empty = record.encoded()
        record.strata = try JSONDecoder().decode([CondemnationRecord.Stratum].self, from: Data(#"""
            [{"lane": "data", "id": "0123456789abcdef", "size": 16777216}, {"lane": "meta", "id": "00000000000000ff", "size": 4096}]
            """#.utf8))
        return [record.encoded(), empty]
    }

    static func locations() -> [[UInt8]] {
        ["s3:http://127.0.0.1:8333/bucket/prefix/deeper", "s3:https://s3.example.com/bucket", "s3:minio.local:9000/b/p",
         "s3:http://[::1]:8333/bucket/p"].map { Array($0.utf8) }
    }

    static func s3XML() -> [[UInt8]] {
        [
            #"""
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>p/data/0001</Key><Size>16777216</Size><ETag>&quot;abc&quot;</ETag></Contents><Contents><Key>p/a&amp;b</Key><Size>0</Size></Contents><NextContinuationToken>token==</NextContinuationToken></ListBucketResult>
            """#,
            #"""
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>p/x</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>
            """#,
            #"<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>p/big</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>"#,
            #"<CompleteMultipartUploadResult><Location>http://h/bucket/p/big</Location><Bucket>bucket</Bucket><Key>p/big</Key><ETag>"e-2"</ETag></CompleteMultipartUploadResult>"#,
            #"<DeleteResult><Deleted><Key>p/a</Key></Deleted><Error><Key>p/b</Key><Code>AccessDenied</Code><Message>no &#x41;&#66;</Message></Error></DeleteResult>"#,
        ].map { Array($0.utf8) }
    }

    static func pathPatterns() -> [[UInt8]] {
        ["*.log\nhome/ann/app.log", "/home/**/cache\nhome/ann/x/cache/y", "[a-z]?\\*\nab*", "[!a]b/**/c[^0-9]\nxb/c/cd"]
            .map { Array($0.utf8) }
    }

    static func namePatterns() -> [[UInt8]] {
        ["*.TXT\nnotes.txt", "[]a-c]?\\x41\n]zA", "[!a-z]*\n\u{e9}t\u{e9}"].map { Array($0.utf8) }
    }

    static func snapshotPaths() -> [[UInt8]] {
        ["/home/ann/docs", "/a/./b//c/", "/\\xff\\x2e/x", "/"].map { Array($0.utf8) }
    }
}

/// Writes every decoder's seeds into DIR/<decoder>/seed-N, after checking that each decodes.
enum SeedWriter {
    static func write(into directory: String) throws {
        for decoder in FuzzDecoder.all {
            let folder = URL(fileURLWithPath: directory).appendingPathComponent(decoder.name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (index, seed) in try decoder.seeds().enumerated() {
                precondition(seed.count <= decoder.maxLength, "\(decoder.name) seed \(index) is longer than its max length")
                precondition(decoder.run(seed), "\(decoder.name) seed \(index) does not decode")
                try Data(seed).write(to: folder.appendingPathComponent("seed-\(index)"))
            }
        }
    }
}
