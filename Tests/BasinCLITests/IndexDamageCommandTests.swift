import BasinCore
import BasinTestSupport
import Foundation
import Testing

/// The index is a cache: a damaged segment is replaced from the strata, and no message blames
/// a stratum that is whole (docs/FORMAT.md, "Index segments").
@Suite("CLI: a damaged index segment")
struct IndexDamageCommandTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-index-damage")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "pw"])
    }

    @Test("ls after a flipped byte in a tree's index entry: the whole tree, exit 0, one warning naming the segment, none blaming a stratum",
          arguments: [0, 32, 40, 44])
    func lsWithDamagedSegment(field: Int) throws {
        var options = TreeGenerator.Options()
        options.largeFileSizes = [300_000]
        let source = scratch.path("source")
        _ = try TreeGenerator.generate(at: source, options: options)
        #expect(try basin.run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let backup = try basin.run(["backup", source])
        #expect(backup.status == 0, "\(backup.stderr)")
        let expected = try basin.run(["ls", "latest"])
        #expect(expected.status == 0 && expected.stderr.isEmpty, "\(expected.stderr)")

        // Damage the entry of a tree grain, picked from a printed seed over the sorted entries.
        let folder = repository + "/index"
        let segments = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".seg") }.sorted()
        var trees: [(segment: String, position: Int)] = []
        for segment in segments {
            let entries = try IndexSegmentCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + segment)))).entries
            trees += entries.indices.filter { entries[$0].kind == GrainKind.tree.rawValue }.map { (segment, $0) }
        }
        let seed = UInt64(field)
        var generator = SplitMix64(seed: seed)
        let victim = trees[Int(generator.next() % UInt64(trees.count))]
        print("damaging byte \(field) of tree entry \(victim.position) in index/\(victim.segment) (seed \(seed), \(trees.count) tree entries)")
        let path = folder + "/" + victim.segment
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[IndexSegmentCodec.headerSize + victim.position * IndexSegmentCodec.entryWidth + field] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let listed = try basin.run(["ls", "latest"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.output == expected.output)
        let warnings = listed.stderr.split(separator: "\n").filter { $0.contains("warning:") }
        #expect(warnings.count == 1 && warnings[0].contains("index segment index/\(victim.segment) is damaged"), "\(listed.stderr)")
        #expect(!listed.stderr.contains("stratum"), "no stratum is blamed: \(listed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path), "the damaged segment is replaced")
        let again = try basin.run(["ls", "latest"])
        #expect(again.status == 0 && again.stderr.isEmpty && again.output == expected.output, "\(again.stderr)")
        let check = try basin.run(["check", "--read-data"])
        #expect(check.status == 0, "\(check.output)\(check.stderr)")
    }
}
