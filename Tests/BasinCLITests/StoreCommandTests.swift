import BasinTestSupport
import Foundation
import Testing

/// The store commands, run as a user runs them: exit codes, output and messages.
@Suite("CLI: init, put, get, has, stats, cat, index rebuild")
struct StoreCommandTests {
    let scratch: ScratchDirectory
    let repository: String
    var basin: CLIRunner

    init() throws {
        scratch = try ScratchDirectory()
        repository = scratch.path + "/repo"
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
    }

    /// Small chunks and strata, so a few hundred KiB make clasts and several strata.
    func initBasin(_ extra: [String] = []) throws {
        let result = try basin.run(["init", "--chunk-sizes", "4096,16384,65536", "--stratum-size", "100000"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test("unencrypted: put prints b3sum's hex for small and clast-sized files; get, has, cat and stats agree")
    func unencryptedRoundTrip() throws {
        try initBasin(["--no-encryption"])
        for (index, size) in [0, 100, 70_000, 600_000].enumerated() {
            let value = seededBytes(size, seed: UInt64(index))
            let path = try scratch.file("value\(index)", value)
            let put = try basin.run(["put", path])
            #expect(put.status == 0, "\(put.stderr)")
            let b3sum = try runTool("/usr/bin/b3sum", ["--no-names", path])
            let key = put.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key == b3sum.output.trimmingCharacters(in: .whitespacesAndNewlines))
            let stdinPut = try basin.run(["put", "-"], stdin: value)
            #expect(stdinPut.output.trimmingCharacters(in: .whitespacesAndNewlines) == key)
            let get = try basin.run(["get", key])
            #expect(get.status == 0 && get.stdout == value)
            let out = scratch.path + "/out\(index)"
            #expect(try basin.run(["get", key, "-o", out]).status == 0)
            #expect(FileManager.default.contents(atPath: out) == Data(value))
            #expect(try basin.run(["has", key]).status == 0)
        }
        let stats = try basin.run(["stats", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout)) as? [String: Any])
        let lanes = try #require(json["lanes"] as? [String: [String: Any]])
        #expect((lanes["data"]?["strata"] as? Int ?? 0) > 1)
        #expect((lanes["meta"]?["grains"] as? Int ?? 0) >= 1)
        let config = try basin.run(["cat", "config"])
        #expect(config.output.contains("\"encryption\" : \"none\""))
        let rebuild = try basin.run(["index", "rebuild"])
        #expect(rebuild.status == 0 && rebuild.output.contains("indexed"))
        #expect(try basin.run(["stats"]).output.contains("data"))
    }

    @Test("encrypted: keys differ from b3sum; a wrong or missing password exits 12 and writes nothing")
    func encrypted() throws {
        var withPassword = basin
        withPassword.environment["BASIN_PASSWORD"] = "correct horse"
        #expect(try withPassword.run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "correct horse")
        let value = seededBytes(200_000, seed: 9)
        let path = try scratch.file("value", value)
        let key = try withPassword.run(["put", path]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.count == 64)
        #expect(key != (try runTool("/usr/bin/b3sum", ["--no-names", path])).output.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try withPassword.run(["get", key]).stdout == value)
        let before = try FileManager.default.subpathsOfDirectory(atPath: repository).sorted()
        var wrong = basin
        wrong.environment["BASIN_PASSWORD"] = "wrong"
        let refused = try wrong.run(["get", key])
        #expect(refused.status == 12 && refused.stderr.contains("wrong password") && refused.stdout.isEmpty)
        let none = try basin.run(["put", path])
        #expect(none.status == 12, "\(none.stderr)")
        let passwordFile = try scratch.file("password", Array("correct horse\n".utf8))
        #expect(try basin.run(["has", key, "--password-file", passwordFile]).status == 0)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: repository).sorted() == before)
    }

    @Test("bad arguments and unknown keys: distinct exit codes and messages naming the object")
    func badInput() throws {
        let missing = try basin.run(["has", String(repeating: "a", count: 64)])
        #expect(missing.status == 10 && missing.stderr.contains(repository), "\(missing.stderr)")
        try initBasin(["--no-encryption"])
        let malformed = try basin.run(["get", "xyz"])
        #expect(malformed.status == 64 && malformed.stderr.contains("xyz"))
        let unknown = String(repeating: "ab", count: 32)
        let absent = try basin.run(["get", unknown])
        #expect(absent.status == 1 && absent.stderr.contains(unknown) && absent.stdout.isEmpty)
        #expect(try basin.run(["has", unknown]).status == 1)
        let noFile = try basin.run(["put", scratch.path + "/does-not-exist"])
        #expect(noFile.status == 64 && noFile.stderr.contains(scratch.path + "/does-not-exist"), "\(noFile.stderr)")
        let again = try basin.run(["init", "--no-encryption"])
        #expect(again.status == 2 && again.stderr.contains("already exists at \(repository)"), "\(again.stderr)")
        #expect(try basin.run(["cat", "stratum", "nothex"]).status == 64)
    }

    @Test("an unknown format version exits 15 naming the version")
    func newerFormat() throws {
        try initBasin(["--no-encryption"])
        let configPath = repository + "/config"
        let text = try String(contentsOfFile: configPath, encoding: .utf8)
        try text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 7").write(toFile: configPath, atomically: true, encoding: .utf8)
        let result = try basin.run(["stats"])
        #expect(result.status == 15 && result.stderr.contains("version 7"), "\(result.stderr)")
    }

    @Test("a damaged stratum: get exits 13 naming it, writes no output file, and alters nothing")
    func damagedStratum() throws {
        try initBasin(["--no-encryption"])
        let value = seededBytes(300_000, seed: 4)
        let key = try basin.run(["put", try scratch.file("v", value)]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let strata = try FileManager.default.subpathsOfDirectory(atPath: repository + "/data").filter { $0.hasSuffix(".stratum") }
        let victim = repository + "/data/" + strata.sorted()[0]
        var bytes = try #require(FileManager.default.contents(atPath: victim))
        bytes[200] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: victim))
        let out = scratch.path + "/restored"
        let result = try basin.run(["get", key, "-o", out])
        #expect(result.status == 13, "\(result.stderr)")
        #expect(result.stderr.contains(String(strata.sorted()[0].split(separator: "/").last!)), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".basin-partial"))
        #expect(FileManager.default.contents(atPath: victim) == bytes)
        let truncated = Data(bytes.prefix(bytes.count / 3))
        try truncated.write(to: URL(fileURLWithPath: victim))
        let cut = try basin.run(["get", key])
        #expect(cut.status == 13 && cut.stderr.contains("data/"), "\(cut.stderr)")
    }

    @Test("a full disk exits 14 naming the stratum; what was stored still reads",
          CIPrecondition.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullDisk() throws {
        try #require(getuid() == 0, "mounting a tmpfs needs root (CI runs as root)")
        let mountPoint = scratch.path + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(try runTool("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint]).status == 0)
        defer { _ = try? runTool("/bin/umount", [mountPoint]) }
        var small = basin
        small.environment["BASIN_REPOSITORY"] = mountPoint + "/repo"
        #expect(try small.run(["init", "--no-encryption", "--compression", "0"]).status == 0)
        let first = seededBytes(1000, seed: 1)
        let key = try small.run(["put", try scratch.file("first", first)]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try small.run(["put", try scratch.file("big", seededBytes(3 << 20, seed: 2))])
        #expect(result.status == 14 && result.stderr.contains("data/"), "\(result.stderr)")
        #expect(try small.run(["get", key]).stdout == first)
    }
}
