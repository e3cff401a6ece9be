import BasinBackend
import BasinCore
import BasinSnapshots
@testable import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Every truncation and every single-bit flip of one object of each kind, each opened afresh
/// and every snapshot listed and restored (into memory, through the basin's reads):
/// damage is caught and blamed on the damaged object, or repaired, or changes nothing
/// readable; it never yields wrong bytes, and what it does not touch restores in full.
///
/// Exhaustive over whole objects, so the basin is tiny on purpose (a few thousand variants per
/// object): three snapshots of a few small files. The damaged data stratum holds one grain
/// (compressed), the damaged meta stratum one tree (a directory two snapshots share), the
/// index segment covers the data stratum, and the ref is one snapshot's. Every length and
/// every bit of each is damaged in turn. Stratum ids and salts are random, so the bytes differ
/// from run to run; their sizes, hence the variants and their order, do not.
@Suite("Exhaustive corruption: every truncation and bit flip of a stratum, segment or ref")
struct ExhaustiveCorruptionTests {
    enum Target: String, CaseIterable, Sendable {
        case dataStratum, metaStratum, indexSegment, snapshotRef
    }

    /// Whether a variant's damage was reported, mended, or left nothing readable changed.
    enum Outcome: String, CaseIterable {
        case caught, repaired, noEffect = "no effect"
    }

    @Test("each damaged variant restores right bytes only and blames the damaged object", arguments: Target.allCases)
    func everyDamage(target: Target) async throws {
        let fixture = try await CorruptionFixture.make()
        let object = try fixture.object(for: target)
        let original = try #require(fixture.objects[object.name])
        var counts: [Outcome: Int] = [:]
        var variants = 0
        var unnoticed: Set<Int> = []
        // Deterministic order: every length, then every bit from the first byte on.
        let damages: [Damage] = (0..<original.count).map { .truncate($0) } + (0..<(original.count * 8)).map { .flip($0) }
        for damage in damages {
            var objects = fixture.objects
            objects[object.name] = damage.applied(to: original)
            let outcome = try await fixture.check(objects, damaged: object, damage: damage)
            counts[outcome, default: 0] += 1
            if outcome == .noEffect { unnoticed.insert(damage.firstOffset) }
            variants += 1
        }
        let shown = Outcome.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", ")
        print("exhaustive corruption of \(target.rawValue) \(object.name) (\(original.count) bytes): \(variants) variants: \(shown);"
              + " no effect at offsets \(Self.ranges(unnoticed))")
        #expect(variants == original.count * 9)
        switch target {
        case .snapshotRef:
            // A ref's xxh32 covers every byte: nothing may slip through.
            #expect(counts[.caught] == variants)
        case .indexSegment:
            // The index is a cache: its damage is mended or harmless, never reported as damage.
            #expect(counts[.caught, default: 0] == 0)
            #expect(counts[.repaired, default: 0] > 0)
        case .dataStratum, .metaStratum:
            #expect(counts[.caught, default: 0] > 0)
        }
    }

    @Test("a segment whose version field is damaged to 0 is named as damaged, not taken for an older format")
    func segmentVersionZero() async throws {
        let fixture = try await CorruptionFixture.make()
        let segment = try fixture.object(for: .indexSegment)
        var objects = fixture.objects
        objects[segment.name] = Damage.flip(8 * 8 + 1).applied(to: objects[segment.name]!)  // version 2 -> 0
        let backend = MemoryBackend()
        backend.restore(objects)
        let basin = try await Basin.open(backend: backend, password: CorruptionFixture.password, resolve: noLanes)
        let warnings = await basin.warnings
        #expect(warnings.count == 1 && warnings.allSatisfy { $0.contains(segment.name) && $0.contains("damaged") }, "\(warnings)")
        #expect(try await backend.stat(segment.name) == nil)
    }

    /// Offsets as ranges, `a..<b`, for the printed counts.
    static func ranges(_ offsets: Set<Int>) -> String {
        var parts: [String] = []
        var start: Int?
        var previous = 0
        for offset in offsets.sorted() {
            if let first = start, offset != previous + 1 {
                parts.append("\(first)..<\(previous + 1)")
                start = offset
            } else if start == nil {
                start = offset
            }
            previous = offset
        }
        if let first = start { parts.append("\(first)..<\(previous + 1)") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

/// One change to an object's bytes.
enum Damage: CustomStringConvertible {
    /// Keep only the first `n` bytes.
    case truncate(Int)
    /// Flip bit `n % 8` of byte `n / 8`.
    case flip(Int)

    func applied(to bytes: [UInt8]) -> [UInt8] {
        switch self {
        case let .truncate(length): return Array(bytes[0..<length])
        case let .flip(bit):
            var copy = bytes
            copy[bit / 8] ^= 1 << UInt8(bit % 8)
            return copy
        }
    }

    var isTruncation: Bool {
        if case .truncate = self { return true }
        return false
    }

    /// The first byte offset the damage changes (or removes).
    var firstOffset: Int {
        switch self {
        case let .truncate(length): length
        case let .flip(bit): bit / 8
        }
    }

    var description: String {
        switch self {
        case let .truncate(length): "truncated to \(length) bytes"
        case let .flip(bit): "bit \(bit % 8) of byte \(bit / 8) flipped"
        }
    }
}

/// The tiny encrypted basin every variant starts from, and what each file depends on.
struct CorruptionFixture {
    static let password = "pw"

    /// A file a snapshot holds: where restore puts it, its bytes, and the objects it is read from.
    struct ExpectedFile {
        let path: String
        let content: [UInt8]
        /// Tokens of the objects reading it needs: stratum ids (16 hex) of its trees and content.
        let dependencies: Set<String>
    }

    /// The object a target damages, and the token its messages must carry.
    struct DamagedObject {
        let name: String
        /// What every error it causes must name: a stratum's 16-hex id, or the object name.
        let token: String
        /// For a stratum: where its index grain starts (restore reads only the grains before it,
        /// where the index places them, and the header for the salt).
        let indexGrainOffset: Int?
    }

    /// An error a variant surfaced: thrown, a restore failure, or a damaged ref in a listing.
    struct Reported {
        let code: String
        let message: String
    }

    let objects: [String: [UInt8]]
    let snapshots: [(snapshot: Snapshot, files: [ExpectedFile])]
    /// Every stratum id, as 16 hex digits.
    let strata: Set<String>
    let dataStratum: String
    let metaStratum: String
    let refName: String

    static func make() async throws -> CorruptionFixture {
        var options = BasinCreateOptions()
        options.encryption = .chacha20Poly1305
        options.compressionLevel = 3
        options.chunker = try FastCDCParameters(minSize: 64, averageSize: 128, maxSize: 256)
        options.stratumTargetSize = 64 << 10
        // The cheapest scrypt the key file allows: every variant opens the basin afresh.
        options.kdf = KeyFile.KDFParameters(n: 2, r: 1, p: 1)
        let backend = MemoryBackend()
        let basin = try await Basin.create(backend: backend, password: password, options: options, resolve: noLanes)
        let repository = SnapshotRepository(basin: basin)
        // A clast in A (its chunks in A's data stratum); B adds a compressed grain
        // and a directory C shares, so damage to B's strata reaches into C.
        var generator = SplitMix64(seed: 0xC0_22)
        print("corruption fixture seed 0xC022")
        let shared = Node.file("shared.txt", content("in every snapshot\n"))
        let docs = Node.directory("docs", [.file("z.txt", content("zz", repeating: 60))])
        let a = try await save([shared, .file("big", generator.bytes(300))], day: 1, in: repository)
        // docs' files and tree committed on their own: the strata damaged hold only them.
        _ = try await repository.storeFixture(docs.children)
        try await basin.flush()
        let b = try await save([shared, docs], day: 2, in: repository)
        let c = try await save([.file("c.txt", content("sea\n")), docs], day: 3, in: repository)
        try await basin.flush()

        var expected: [(snapshot: Snapshot, files: [ExpectedFile])] = []
        for snapshot in [a, b, c] {
            expected.append((snapshot, try await files(below: try #require(snapshot.record.treeKey), path: "", dependencies: [], basin: basin, repository: repository)))
        }
        let bFiles = expected[1].files
        let zee = try #require(bFiles.first { $0.path == "docs/z.txt" })
        let bRoot = try #require(b.record.treeKey)
        let docsTree = try #require(try await repository.loadTree(bRoot).entries.first { $0.name == Array("docs".utf8) }?.content)
        let dataStratum = try location(of: try #require(try await repository.loadTree(docsTree).entries.first?.content), basin: basin)
        #expect(zee.dependencies.contains(dataStratum))
        let metaStratum = try location(of: docsTree, basin: basin)
        var strata: Set<String> = []
        for (_, files) in expected {
            for file in files { strata.formUnion(file.dependencies) }
        }
        return CorruptionFixture(objects: backend.snapshot(), snapshots: expected, strata: strata,
                                 dataStratum: dataStratum, metaStratum: metaStratum,
                                 refName: SnapshotRepository.folder + b.id.hex)
    }

    /// Saves `nodes` as a snapshot with a short record (a short ref: fewer variants).
    static func save(_ nodes: [Node], day: Int, in repository: SnapshotRepository) async throws -> Snapshot {
        let root = try await repository.storeFixture(nodes)
        return try await repository.save(SnapshotRecord(time: utc("2026-01-0\(day)T00:00:00Z"), hostname: "h", username: "u", paths: ["/"],
                                                        tags: [], parent: nil, tree: root, excludes: [], summary: nil,
                                                        programVersion: "t"))
    }

    /// The stratum id (16 hex) the index places `key` in.
    static func location(of key: Key, basin: Basin) throws -> String {
        Hex.encode(try #require(basin.index.lookup(key), "the index lacks \(key)").stratum)
    }

    /// The files below the tree `key`, each with the strata its trees and content lie in.
    static func files(below key: Key, path: String, dependencies: Set<String>, basin: Basin,
                      repository: SnapshotRepository) async throws -> [ExpectedFile] {
        let here = dependencies.union([try location(of: key, basin: basin)])
        var found: [ExpectedFile] = []
        for entry in try await repository.loadTree(key).entries {
            let name = path + String(decoding: entry.name, as: UTF8.self)
            switch entry.type {
            case .directory:
                let subtree = try #require(entry.content)
                found += try await files(below: subtree, path: name + "/", dependencies: here, basin: basin, repository: repository)
            case .file:
                let contentKey = try #require(entry.content)
                var needs = here.union([try location(of: contentKey, basin: basin)])
                let grain = try await basin.grain(contentKey)
                if grain.kind == .clast {
                    for chunk in try Clast.decode(grain.plain).chunks { needs.insert(try location(of: chunk.key, basin: basin)) }
                }
                found.append(ExpectedFile(path: name, content: try await basin.get(contentKey), dependencies: needs))
            default:
                break
            }
        }
        return found
    }

    func object(for target: ExhaustiveCorruptionTests.Target) throws -> DamagedObject {
        switch target {
        case .dataStratum, .metaStratum:
            let id = target == .dataStratum ? dataStratum : metaStratum
            let name = try #require(objects.keys.first { $0.hasSuffix("/\(id).stratum") })
            let bytes = objects[name]!
            let footer = try StratumFooter.decode(Array(bytes.suffix(StratumFooter.size)), offset: bytes.count - StratumFooter.size,
                                                  stratumSize: bytes.count)
            return DamagedObject(name: name, token: id, indexGrainOffset: Int(footer.indexOffset))
        case .indexSegment:
            // The segment covering the data stratum: its entries and record carry the id.
            let id = try #require(UInt64(dataStratum, radix: 16))
            let idBytes = (0..<8).map { UInt8(truncatingIfNeeded: id >> (8 * $0)) }
            let name = try #require(objects.keys.sorted().first { $0.hasPrefix("index/") && objects[$0]!.containsBytes(idBytes) })
            return DamagedObject(name: name, token: name, indexGrainOffset: nil)
        case .snapshotRef:
            return DamagedObject(name: refName, token: refName, indexGrainOffset: nil)
        }
    }

    /// Opens `objects` afresh, lists and restores every snapshot, and checks the property.
    func check(_ objects: [String: [UInt8]], damaged: DamagedObject, damage: Damage) async throws -> ExhaustiveCorruptionTests.Outcome {
        let context = "\(damaged.name) \(damage)"
        let backend = MemoryBackend()
        backend.restore(objects)
        var errors: [Reported] = []
        let basin: Basin
        do {
            basin = try await Basin.open(backend: backend, password: Self.password, resolve: noLanes)
        } catch {
            // Opening reads no stratum and mends a damaged segment: failing here loses every
            // snapshot, those the damage does not reach included.
            Issue.record("\(context): the basin does not open: \(error)")
            return .caught
        }
        let repository = SnapshotRepository(basin: basin)
        let listing = try await repository.listing()
        errors += listing.damaged.map { Reported(code: $0.error.code.rawValue, message: $0.error.message) }
        #expect(listing.snapshots.map(\.id) == snapshots.map(\.snapshot.id), "\(context): listing lost a snapshot")
        for (index, (snapshot, files)) in snapshots.enumerated() {
            var contents: [String: [UInt8]] = [:]
            if let root = snapshot.record.treeKey {
                await Self.restore(root, path: "", repository: repository, into: &contents, errors: &errors)
            }
            for file in files {
                if let bytes = contents.removeValue(forKey: file.path) {
                    #expect(bytes == file.content, "\(context): \(file.path) of snapshot \(index) restored wrong bytes")
                } else {
                    #expect(file.dependencies.contains(damaged.token),
                            "\(context): \(file.path) of snapshot \(index) did not restore, though the damage does not reach it")
                }
            }
            #expect(contents.isEmpty, "\(context): snapshot \(index) restored files it does not hold: \(contents.keys.sorted())")
        }
        try expectBlamed(errors, on: damaged, context: context)
        if !errors.isEmpty { return .caught }
        let warnings = await basin.warnings
        if !warnings.isEmpty {
            // Only a damaged segment is repaired at open (the warning says how: dropped, or the
            // index rebuilt because a record names a stratum that is not there).
            #expect(damaged.name.hasPrefix(SegmentedIndex.directory), "\(context): warnings \(warnings)")
            return .repaired
        }
        // Nothing reported: the damage must lie where restore never reads (a stratum's
        // unchecked reserved header bytes, or its index grain and footer, which the basin's
        // index stands in for), or in an index segment where nothing it points to changed.
        let offset = damage.firstOffset
        if let indexGrainOffset = damaged.indexGrainOffset {
            #expect(offset >= indexGrainOffset || (60..<64).contains(offset),
                    "\(context): went unnoticed though it lies in a grain or the header")
        } else if damaged.name.hasPrefix(SegmentedIndex.directory), let original = self.objects[damaged.name] {
            // A segment: its reserved header bytes; an entry's plain length (the frame carries
            // its own); a stratum record's fields past its id and the trailer checksum, which
            // stats, check and prune read, verifying the trailer first. A cut is always noticed.
            let entries = original.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) }
            let records = 64 + 52 * entries
            let unread = (36..<64).contains(offset) || (64..<records).contains(offset) && (offset - 64) % 52 >= 48
                || (records..<(original.count - 4)).contains(offset) && ((offset - records) % 32 >= 8 || offset >= original.count - 8)
            #expect(unread && !damage.isTruncation, "\(context): went unnoticed though restore reads what it changed")
        }
        return .noEffect
    }

    /// Restores the tree `key` into memory as restore does to disk: a tree that does not read
    /// loses what is below it, a file whose content does not read is left out, each with its
    /// error; nothing stops the rest. In memory, as thousands of variants are restored.
    static func restore(_ key: Key, path: String, repository: SnapshotRepository, into files: inout [String: [UInt8]],
                        errors: inout [Reported]) async {
        let tree: Tree
        do {
            tree = try await repository.loadTree(key)
        } catch {
            errors.append(Reported(code: error.code.rawValue, message: error.message))
            return
        }
        for entry in tree.entries {
            let name = path + String(decoding: entry.name, as: UTF8.self)
            guard let content = entry.content else {
                if entry.type == .file { files[name] = [] }
                continue
            }
            switch entry.type {
            case .directory:
                await restore(content, path: name + "/", repository: repository, into: &files, errors: &errors)
            case .file:
                do {
                    files[name] = try await repository.basin.get(content)
                } catch {
                    errors.append(Reported(code: error.code.rawValue, message: error.message))
                }
            default:
                break
            }
        }
    }

    /// Every error is damage (corrupted or not found) and names the damaged object, never a
    /// healthy stratum.
    func expectBlamed(_ errors: [Reported], on damaged: DamagedObject, context: String) throws {
        for error in errors {
            #expect(error.code == BasinError.Code.corrupted.rawValue || error.code == BasinError.Code.notFound.rawValue,
                    "\(context): error of code \(error.code): \(error.message)")
            #expect(error.message.contains(damaged.token), "\(context): error does not name \(damaged.token): \(error.message)")
            for healthy in strata.subtracting([damaged.token]) {
                #expect(!error.message.contains(healthy), "\(context): blames healthy stratum \(healthy): \(error.message)")
            }
        }
    }
}
