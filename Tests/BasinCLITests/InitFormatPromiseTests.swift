import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about `basin init`'s options (encryption, sizes) and docs/FORMAT.md's
/// about what a reader refuses: an unknown algorithm or key-file version exits 15.
@Suite("CLI promises: init options, exit 15 for what this program does not know")
struct InitFormatPromiseTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-init-format")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "pw"])
    }

    /// Replaces `old` by `new` in the file at `path` (which must hold it).
    func edit(_ path: String, replacing old: String, with new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try #require(text.contains(old), "\(path) holds no \(old): \(text)")
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: false, encoding: .utf8)
    }

    @Test("init --encryption aes-256-gcm: the config and every stratum say so; put, get, backup, restore and check round-trip")
    func aesRoundTrip() throws {
        #expect(try basin.run(["init", "--encryption", "aes-256-gcm", "--chunk-sizes", "4096,16384,65536"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let config = try basin.run(["cat", "config"])
        #expect(config.output.contains("\"encryption\" : \"aes-256-gcm\""), "\(config.output)")
        let value = SplitMix64.bytes(200_000, seed: 4)
        let valuePath = scratch.path("value")
        try Data(value).write(to: URL(fileURLWithPath: valuePath))
        let key = try basin.run(["put", valuePath]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try basin.run(["get", key]).stdout == value)
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data(SplitMix64.bytes(50_000, seed: 5)).write(to: URL(fileURLWithPath: source + "/f"))
        #expect(try basin.run(["backup", source]).status == 0)
        let target = scratch.path("out")
        let restore = try basin.run(["restore", "latest:" + source, "--target", target, "--verify"])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(FileManager.default.contents(atPath: target + "/f") == Data(SplitMix64.bytes(50_000, seed: 5)))
        let check = try basin.run(["check", "--read-data"])
        #expect(check.status == 0 && check.output.contains("no problems found"), "\(check.output)\(check.stderr)")
        let strata = try FileManager.default.subpathsOfDirectory(atPath: repository).filter { $0.hasSuffix(".stratum") }
        #expect(!strata.isEmpty)
        for stratum in strata {
            let id = String((stratum as NSString).lastPathComponent.dropLast(".stratum".count))
            let described = try basin.run(["cat", "stratum", id])
            #expect(described.output.contains("\"encryption\" : \"aes-256-gcm\""), "\(stratum): \(described.output)")
        }
        // No value, and no file name, in clear.
        for stratum in strata {
            let bytes = try TestFileSystem.readFile(Array((repository + "/" + stratum).utf8))
            #expect(!bytes.containsBytes(Array(value.prefix(32))), "\(stratum) holds the value in clear")
        }
        var wrong = basin
        wrong.environment["BASIN_PASSWORD"] = "not it"
        #expect(try wrong.run(["get", key]).status == 12)
    }

    @Test("invalid init options exit 64 naming the option, and create nothing", arguments: [
        (["--encryption", "rot13"], "rot13"),
        (["--stratum-size", "100"], "--stratum-size"),
        (["--stratum-size", "lots"], "--stratum-size"),
        (["--chunk-sizes", "65536,16384,4096"], "--chunk-sizes"),
        (["--chunk-sizes", "4096,16384"], "--chunk-sizes"),
        (["--chunk-sizes", "a,b,c"], "--chunk-sizes"),
        (["--compression", "23"], "--compression"),
        (["--compression", "-1"], "--compression"),
    ])
    func invalidOptions(_ arguments: [String], _ named: String) throws {
        let result = try basin.run(["init"] + arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(named), "\(arguments): \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: repository + "/config"), "\(arguments) created a basin")
    }

    @Test("an unknown encryption or compression algorithm in the config exits 15 naming it", arguments: [
        ("\"encryption\" : \"none\"", "\"encryption\" : \"rot13\"", "unknown encryption 'rot13'"),
        ("\"algorithm\" : \"zstd\"", "\"algorithm\" : \"lz4\"", "unknown compression 'lz4'"),
        ("\"version\" : 1", "\"version\" : 9", "format version 9"),
    ])
    func unknownConfigAlgorithm(_ old: String, _ new: String, _ message: String) throws {
        var plain = basin
        plain.environment["BASIN_PASSWORD"] = nil
        #expect(try plain.run(["init", "--no-encryption"]).status == 0)
        try edit(repository + "/config", replacing: old, with: new)
        for arguments in [["snapshots"], ["check"], ["put", "-"]] {
            let result = try plain.run(arguments)
            #expect(result.status == 15, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(message) && result.stderr.contains(repository), "\(arguments): \(result.stderr)")
        }
    }

    @Test("a key file of an unknown version exits 15 naming the key file")
    func unknownKeyFileVersion() throws {
        #expect(try basin.run(["init"]).status == 0)
        let keys = try FileManager.default.contentsOfDirectory(atPath: repository + "/keys")
        let id = try #require(keys.first)
        #expect(keys.count == 1)
        try edit(repository + "/keys/" + id, replacing: "\"version\" : 1", with: "\"version\" : 2")
        let result = try basin.run(["snapshots"])
        #expect(result.status == 15, "\(result.stderr)")
        #expect(result.stderr.contains("key file keys/\(id) has version 2"), "\(result.stderr)")
    }
}
