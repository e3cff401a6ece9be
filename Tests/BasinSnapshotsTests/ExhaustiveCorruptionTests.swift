import BasinBackend
import BasinCore
import BasinSnapshots
@testable import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// Every truncation and every single-bit flip of one object of each kind, each opened afresh:
/// damage is caught and blamed on the damaged object, or repaired, or changes nothing
/// readable; it never yields wrong bytes, and what it does not touch restores in full.
///
/// Exhaustive over whole objects, so the basin is tiny on purpose: three snapshots of a few
/// small files, where the damaged data stratum holds two grains (one compressed), the meta
/// stratum a snapshot's two trees and its snapshot grain, the index segment the one data
/// stratum, and the ref one record. Every byte of each is damaged in turn.
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
        let workspace = try TestDirectory("corruption")
        var counts: [Outcome: Int] = [:]
        var variants = 0
        // Deterministic order: every length, then every bit from the first byte on.
        let damages: [Damage] = (0..<original.count).map { .truncate($0) } + (0..<(original.count * 8)).map { .flip($0) }
        for damage in damages {
            var objects = fixture.objects
            objects[object.name] = damage.applied(to: original)
            let outcome = try await fixture.check(objects, damaged: object, damage: damage, workspace: workspace, variant: variants)
            counts[outcome, default: 0] += 1
            variants += 1
        }
        let shown = Outcome.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", ")
        print("exhaustive corruption of \(target.rawValue) \(object.name) (\(original.count) bytes): \(variants) variants: \(shown)")
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
        options.kdf = .testing
        let backend = MemoryBackend()
        let basin = try await Basin.create(backend: backend, password: password, options: options, resolve: noLanes)
        let repository = SnapshotRepository(basin: basin)
        // A clast in A (its chunks in A's data stratum); B adds a plain and a compressed grain
        // and a directory C shares, so damage to B's strata reaches into C.
        var generator = SplitMix64(seed: 0xC0_22)
        print("corruption fixture seed 0xC022")
        let shared = Node.file("shared.txt", content("in every snapshot\n"))
        let docs = Node.directory("docs", [.file("b.txt", content("bee\n")), .file("z.txt", content("zz", repeating: 60))])
        let a = try await repository.saveFixtureSnapshot([shared, .file("big", generator.bytes(300))], time: utc("2026-01-01T00:00:00Z"))
        let b = try await repository.saveFixtureSnapshot([shared, docs], time: utc("2026-01-02T00:00:00Z"))
        let c = try await repository.saveFixtureSnapshot([.file("c.txt", content("sea\n")), docs], time: utc("2026-01-03T00:00:00Z"))
        try await basin.flush()

        var expected: [(Snapshot, [ExpectedFile])] = []
        for snapshot in [a, b, c] {
            expected.append((snapshot, try await files(below: snapshot.record.tree, path: "", dependencies: [], basin: basin, repository: repository)))
        }
        let bFiles = expected[1].1
        let bee = try #require(bFiles.first { $0.path == "docs/b.txt" })
        let docsTree = try #require(try await repository.loadTree(b.record.tree).entries.first { $0.name == Array("docs".utf8) }?.content)
        let dataStratum = try location(of: try #require(try await repository.loadTree(docsTree).entries.first?.content), basin: basin)
        #expect(bee.dependencies.contains(dataStratum))
        let metaStratum = try location(of: docsTree, basin: basin)
        var strata: Set<String> = []
        for (_, files) in expected { for file in files { strata.formUnion(file.dependencies) } }
        return CorruptionFixture(objects: backend.snapshot(), snapshots: expected, strata: strata,
                                 dataStratum: dataStratum, metaStratum: metaStratum,
                                 refName: SnapshotRepository.folder + b.id.hex)
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
    func check(_ objects: [String: [UInt8]], damaged: DamagedObject, damage: Damage, workspace: TestDirectory,
               variant: Int) async throws -> ExhaustiveCorruptionTests.Outcome {
        let context = "\(damaged.name) \(damage)"
        let backend = MemoryBackend()
        backend.restore(objects)
        var errors: [(code: String, message: String)] = []
        var restored = 0
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
        errors += listing.damaged.map { ($0.error.code.rawValue, $0.error.message) }
        #expect(listing.snapshots.map(\.id) == snapshots.map(\.snapshot.id), "\(context): listing lost a snapshot")
        for (index, (snapshot, files)) in snapshots.enumerated() {
            let target = workspace.path("v\(variant)-\(index)")
            do {
                let report = try await RestoreEngine(repository: repository).restore(snapshot, into: Array(target.utf8))
                errors += report.failures.map { ($0.code, $0.message) }
            } catch {
                errors.append((error.code.rawValue, error.message))
            }
            for file in files {
                let path = target + "/" + file.path
                if let bytes = try? TestFileSystem.readFile(Array(path.utf8)) {
                    #expect(bytes == file.content, "\(context): \(file.path) of snapshot \(index) restored wrong bytes")
                    restored += 1
                } else {
                    #expect(file.dependencies.contains(damaged.token),
                            "\(context): \(file.path) of snapshot \(index) did not restore, though the damage does not reach it")
                }
            }
            try? TestFileSystem.removeTree(Array(target.utf8))
        }
        try expectBlamed(errors, on: damaged, context: context)
        if !errors.isEmpty { return .caught }
        let warnings = await basin.warnings
        if !warnings.isEmpty {
            #expect(warnings.allSatisfy { $0.contains(damaged.token) }, "\(context): warnings \(warnings)")
            return .repaired
        }
        // Nothing reported: the damage must lie where restore never reads (a stratum's
        // unchecked reserved header bytes, or its index grain and footer, which the basin's
        // index stands in for), or in an index segment where nothing it points to changed.
        if let indexGrainOffset = damaged.indexGrainOffset {
            let offset = damage.firstOffset
            #expect(offset >= indexGrainOffset || (60..<64).contains(offset),
                    "\(context): went unnoticed though it lies in a grain or the header")
        }
        return .noEffect
    }

    /// Every error is damage (corrupted or not found) and names the damaged object, never a
    /// healthy stratum.
    func expectBlamed(_ errors: [(code: String, message: String)], on damaged: DamagedObject, context: String) throws {
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
