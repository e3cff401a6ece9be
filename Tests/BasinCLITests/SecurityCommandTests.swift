import BasinTestSupport
import Foundation
import Testing

/// docs/SECURITY.md's claims about a whole basin, through the real binary: what an attacker
/// who reads the storage sees, and what one who rewrites it can and cannot make Basin do.
@Suite("CLI: security claims")
struct SecurityCommandTests {
    static let password = "security-test-password"

    /// Every regular file below `root`, with its bytes.
    static func files(below root: String) throws -> [(path: String, bytes: [UInt8])] {
        try FileManager.default.subpathsOfDirectory(atPath: root).sorted().compactMap { sub in
            let path = root + "/" + sub
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
            return (sub, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }

    static func encryptedBasin(_ scratch: TestDirectory) throws -> CLIRunner {
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": scratch.path("repo"), "BASIN_PASSWORD": password])
        let initialized = try basin.run(["init"])
        try #require(initialized.status == 0, "\(initialized.stderr)")
        try KeyFiles.resealCheaply(basinAt: scratch.path("repo"), password: password)
        return basin
    }

    @Test("an encrypted basin holds no file name, content, link target, host, tag, path or stored name in clear")
    func nothingInClear() throws {
        let scratch = try TestDirectory("cli-security-clear")
        let basin = try Self.encryptedBasin(scratch)
        let source = scratch.path("source-marker-path")
        let directory = source + "/directory-marker-name"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Compressible content: in an unencrypted basin it would be found (zstd keeps literals).
        let content = Data(String(repeating: "content-marker-text ", count: 2000).utf8)
        #expect(FileManager.default.createFile(atPath: directory + "/file-marker-name.txt", contents: content))
        try FileManager.default.createSymbolicLink(atPath: source + "/link", withDestinationPath: "/link-marker-target")
        let backup = try basin.run(["backup", "--host", "host-marker", "--tag", "tag-marker", source])
        #expect(backup.status == 0, "\(backup.stderr)")
        let put = try basin.run(["put", "--name", "name-marker", directory + "/file-marker-name.txt"])
        #expect(put.status == 0, "\(put.stderr)")

        let stored = try Self.files(below: scratch.path("repo"))
        #expect(stored.contains { $0.path.hasSuffix(".stratum") } && stored.contains { $0.path.hasPrefix("roots/") })
        for marker in ["marker", "content-marker-text", "file-marker-name", "directory-marker-name", "link-marker-target",
                       "host-marker", "tag-marker", "source-marker-path", "name-marker"] {
            let needle = Array(marker.utf8)
            let holders = stored.filter { $0.bytes.containsBytes(needle) }.map(\.path)
            #expect(holders.isEmpty, "'\(marker)' appears in clear in \(holders)")
        }
        // The same backup in an unencrypted basin does show them: the search above can find what it looks for.
        let plain = CLIRunner(environment: ["BASIN_REPOSITORY": scratch.path("plain"), "BASIN_PASSWORD": ""])
        #expect(try plain.run(["init", "--no-encryption"]).status == 0)
        #expect(try plain.run(["backup", source]).status == 0)
        #expect(try Self.files(below: scratch.path("plain")).contains { $0.bytes.containsBytes(Array("file-marker-name".utf8)) })
    }

    @Test("a config rewritten to say unencrypted, beside key files, is refused with exit 13 naming the config; nothing is written")
    func downgradeRefused() throws {
        let scratch = try TestDirectory("cli-security-downgrade")
        let basin = try Self.encryptedBasin(scratch)
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: source + "/a", contents: Data(seededBytes(10_000, seed: 3))))
        #expect(try basin.run(["backup", source]).status == 0)

        let configPath = scratch.path("repo/config")
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        let downgraded = config.replacingOccurrences(of: "\"chacha20-poly1305\"", with: "\"none\"")
        try #require(downgraded != config, "the config names its encryption: \(config)")
        try downgraded.write(toFile: configPath, atomically: true, encoding: .utf8)
        let before = try Self.files(below: scratch.path("repo")).map(\.path)

        #expect(FileManager.default.createFile(atPath: source + "/b", contents: Data(seededBytes(10_000, seed: 4))))
        for arguments in [["backup", source], ["snapshots"], ["put", source + "/b"]] {
            let refused = try basin.run(arguments)
            #expect(refused.status == 13, "\(arguments): \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.contains("config") && refused.stderr.contains("key files"), "\(refused.stderr)")
        }
        #expect(try Self.files(below: scratch.path("repo")).map(\.path) == before)
    }

    @Test("a wrong password exits 12 and changes nothing")
    func wrongPassword() throws {
        let scratch = try TestDirectory("cli-security-password")
        let basin = try Self.encryptedBasin(scratch)
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: source + "/a", contents: Data(seededBytes(10_000, seed: 5))))
        #expect(try basin.run(["backup", source]).status == 0)
        let before = try Self.files(below: scratch.path("repo"))
        var wrong = basin
        wrong.environment["BASIN_PASSWORD"] = "not-the-password"
        for arguments in [["backup", source], ["snapshots"], ["restore", "latest", "--target", scratch.path("out")], ["prune"]] {
            let refused = try wrong.run(arguments)
            #expect(refused.status == 12, "\(arguments): \(refused.status) \(refused.stderr)")
            #expect(refused.stderr.contains("password"), "\(refused.stderr)")
        }
        let after = try Self.files(below: scratch.path("repo"))
        #expect(after.map(\.path) == before.map(\.path))
        #expect(zip(after, before).allSatisfy { $0.bytes == $1.bytes })
    }

    @Test("every stratum of a basin has its own salt, so its own payload key")
    func saltsAreUnique() throws {
        let scratch = try TestDirectory("cli-security-salts")
        let basin = try Self.encryptedBasin(scratch)
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for round in 0..<4 {
            #expect(FileManager.default.createFile(atPath: source + "/f\(round)", contents: Data(seededBytes(50_000, seed: UInt64(10 + round)))))
            #expect(try basin.run(["backup", source]).status == 0)
        }
        let strata = try Self.files(below: scratch.path("repo")).filter { $0.path.hasSuffix(".stratum") }
        #expect(strata.count >= 8, "two lanes, four backups: \(strata.map(\.path))")
        let salts = strata.map { Array($0.bytes[24..<56]) }
        #expect(Set(salts.map { $0.map { String($0, radix: 16) }.joined() }).count == strata.count)
    }
}
