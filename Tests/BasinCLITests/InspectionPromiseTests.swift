import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about `basin cat stratum|grain` and about `basin dump` on a terminal.
@Suite("CLI promises: cat stratum, cat grain, dump on a terminal")
struct InspectionPromiseTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-inspection")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
        let created = try basin.run(["init", "--no-encryption", "--chunk-sizes", "4096,16384,65536", "--stratum-size", "100000"])
        #expect(created.status == 0, "\(created.stderr)")
    }

    func put(_ value: [UInt8], _ name: String) throws -> String {
        let path = scratch.path(name)
        try Data(value).write(to: URL(fileURLWithPath: path))
        let result = try basin.run(["put", path])
        #expect(result.status == 0, "\(result.stderr)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The ids of the basin's strata (file names without `.stratum`), by lane.
    func strata() throws -> [(lane: String, id: String)] {
        try FileManager.default.subpathsOfDirectory(atPath: repository).filter { $0.hasSuffix(".stratum") }.sorted().map {
            (String($0.split(separator: "/")[0]), String(($0 as NSString).lastPathComponent.dropLast(".stratum".count)))
        }
    }

    @Test("cat grain prints a value's plaintext, or a clast's chunk list (KEY LENGTH lines) whose chunks cat grain gives back")
    func catGrain() throws {
        let small = SplitMix64.bytes(100, seed: 1)
        let smallKey = try put(small, "small")
        let shown = try basin.run(["cat", "grain", smallKey])
        #expect(shown.status == 0 && shown.stdout == small, "\(shown.stderr)")

        let large = SplitMix64.bytes(300_000, seed: 2)
        let clast = try basin.run(["cat", "grain", try put(large, "large")])
        #expect(clast.status == 0, "\(clast.stderr)")
        let chunks = clast.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(chunks.count > 1 && chunks.allSatisfy { $0.count == 2 && $0[0].count == 64 }, "\(clast.output)")
        #expect(chunks.compactMap { Int($0[1]) }.reduce(0, +) == large.count)
        var joined: [UInt8] = []
        for chunk in chunks {
            let piece = try basin.run(["cat", "grain", chunk[0]])
            #expect(piece.status == 0 && piece.stdout.count == Int(chunk[1]), "\(chunk): \(piece.stderr)")
            joined += piece.stdout
        }
        #expect(joined == large)

        let unknown = String(repeating: "cd", count: 32)
        let absent = try basin.run(["cat", "grain", unknown])
        #expect(absent.status == 1 && absent.stderr.contains(unknown) && absent.stdout.isEmpty, "\(absent.stderr)")
        let malformed = try basin.run(["cat", "grain", "xyz"])
        #expect(malformed.status == 64 && malformed.stderr.contains("xyz"), "\(malformed.stderr)")
        let noID = try basin.run(["cat", "grain"])
        #expect(noID.status == 64 && noID.stderr.contains("cat grain needs an id"), "\(noID.stderr)")
        let what = try basin.run(["cat", "snapshot"])
        #expect(what.status == 64 && what.stderr.contains("snapshot"), "\(what.stderr)")
    }

    @Test("cat stratum prints a stratum's header and grains as JSON; an unknown id exits 1 naming it, a malformed one 64")
    func catStratum() throws {
        let small = SplitMix64.bytes(100, seed: 3)
        let smallKey = try put(small, "small")
        let all = try strata()
        #expect(all.contains { $0.lane == "data" }, "\(all)")
        var keysSeen: Set<String> = []
        for (lane, id) in all {
            let result = try basin.run(["cat", "stratum", id])
            #expect(result.status == 0, "\(id): \(result.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any], "\(result.output)")
            #expect(object["id"] as? String == id && object["lane"] as? String == lane && object["complete"] as? Bool == true, "\(object)")
            #expect(object["encryption"] as? String == "none" && object["formatVersion"] as? Int == 1, "\(object)")
            let name = try #require(object["name"] as? String)
            let size = try FileManager.default.attributesOfItem(atPath: repository + "/" + name)[.size] as? Int
            #expect(object["size"] as? Int == size, "\(object)")
            let grains = try #require(object["grains"] as? [[String: Any]])
            #expect(!grains.isEmpty && grains.allSatisfy { $0["offset"] is Int && $0["length"] is Int && $0["kind"] is String }, "\(grains)")
            keysSeen.formUnion(grains.compactMap { $0["key"] as? String })
            if grains.contains(where: { $0["key"] as? String == smallKey }) {
                #expect(lane == "data" && grains.first { $0["key"] as? String == smallKey }?["kind"] as? String == "blob")
            }
        }
        #expect(keysSeen.contains(smallKey))

        let unknown = "0123456789abcdef"
        let absent = try basin.run(["cat", "stratum", unknown])
        #expect(absent.status == 1 && absent.stderr.contains("no stratum \(unknown)"), "\(absent.stderr)")
        let malformed = try basin.run(["cat", "stratum", "nothex"])
        #expect(malformed.status == 64 && malformed.stderr.contains("'nothex' is not a stratum id"), "\(malformed.stderr)")
    }

    @Test("dump refuses to write an archive to a terminal (exit 64, saying to redirect); a file's content it writes there")
    func dumpToTerminal() async throws {
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source + "/docs", withIntermediateDirectories: true)
        try Data("hello terminal\n".utf8).write(to: URL(fileURLWithPath: source + "/docs/a.txt"))
        #expect(try basin.run(["backup", source]).status == 0)
        for path in [source + "/docs", "/"] {
            let refused = try basin.runInTerminal(["dump", "latest", path])
            #expect(refused.status == 64, "\(path): \(refused.transcript)")
            #expect(refused.transcript.contains("\(path) is a directory: refusing to write a tar archive to a terminal"), "\(refused.transcript)")
        }
        let file = try basin.runInTerminal(["dump", "latest", source + "/docs/a.txt"])
        #expect(file.status == 0 && file.transcript.contains("hello terminal"), "\(file.transcript)")
        // Not a terminal: the archive is written.
        let piped = try basin.run(["dump", "latest", source + "/docs"])
        #expect(piped.status == 0 && piped.stdout.count >= 1024, "\(piped.stderr)")
    }
}
