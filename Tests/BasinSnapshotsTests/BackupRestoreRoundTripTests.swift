import BasinBackend
import BasinCore
import BasinLocal
import BasinTestSupport
import Foundation
import Testing
@testable import BasinSnapshots
@testable import BasinStore

/// Back up a generated tree with the real engine, restore it with the real engine, and compare
/// both trees entry by entry (content, modes, owners, times, links, xattrs, devices).
@Suite("Backup and restore round trip")
struct BackupRestoreRoundTripTests {
    static func basin(_ directory: TestDirectory, encryption: PayloadAlgorithm) async throws -> Basin {
        var options = BasinCreateOptions()
        options.encryption = encryption
        options.chunker = try FastCDCParameters(minSize: 64 << 10, averageSize: 256 << 10, maxSize: 1 << 20)
        options.stratumTargetSize = 4 << 20
        options.kdf = .testing
        let backend = try LocalBackend(directory: directory.path("basin"), create: true)
        return try await Basin.create(backend: backend, password: "pw", options: options, resolve: { location throws(BasinError) in
            throw BasinError(.notFound, location.location)
        })
    }

    @Test("a tree with every entry type and odd names comes back identical", arguments: [PayloadAlgorithm.none, .chacha20Poly1305])
    func everyEntryType(encryption: PayloadAlgorithm) async throws {
        let directory = try TestDirectory("roundtrip")
        let source = directory.path("source")
        _ = try TreeGenerator.generate(at: source)
        let repository = SnapshotRepository(basin: try await Self.basin(directory, encryption: encryption))
        let backup = try await BackupEngine(repository: repository, options: BackupOptions(paths: [source])).run()
        #expect(backup.isComplete, "\(backup.warnings)")
        let snapshot = try #require(backup.snapshot)
        let target = directory.path("restored")
        let components = source.split(separator: "/").map { Array($0.utf8) }
        var restoreOptions = RestoreOptions()
        restoreOptions.verify = true
        let report = try await RestoreEngine(repository: repository, options: restoreOptions)
            .restore(snapshot, subpath: components, into: Array(target.utf8))
        #expect(report.failures.isEmpty, "\(report.failures)")
        let differences = try TreeComparer.compare(source: source, restored: target)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
    }

    @Test("100 000 small files back up into a handful of strata and restore identically")
    func manySmallFiles() async throws {
        let directory = try TestDirectory("many")
        let source = directory.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for folder in 0..<100 {
            let path = source + "/d\(folder)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            for file in 0..<1000 {
                let content = Data("file \(folder)/\(file)\n".utf8)
                #expect(FileManager.default.createFile(atPath: path + "/f\(file)", contents: content))
            }
        }
        let basin = try await Self.basin(directory, encryption: .chacha20Poly1305)
        let repository = SnapshotRepository(basin: basin)
        let backup = try await BackupEngine(repository: repository, options: BackupOptions(paths: [source])).run()
        #expect(backup.summary.filesNew == 100_000)
        let strata = try await basin.listStrata()
        #expect(strata.count < 30, "\(strata.count) strata for 100 000 small files")
        let second = try await BackupEngine(repository: repository, options: BackupOptions(paths: [source])).run()
        #expect(second.filesRead == 0)
        let target = directory.path("restored")
        let report = try await RestoreEngine(repository: repository)
            .restore(try #require(second.snapshot), subpath: source.split(separator: "/").map { Array($0.utf8) }, into: Array(target.utf8))
        #expect(report.failures.isEmpty)
        let differences = try TreeComparer.compare(source: source, restored: target)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
    }
}
