import BasinTestSupport
import Foundation
import Testing

/// What the CLI writes into a local basin is for the owner alone (docs/CLI.md, "Files of a local basin").
@Suite("CLI: modes of a local basin's files")
struct RepositoryFileModeTests {
    /// Every file and directory below `root` (itself included) whose permission bits are not
    /// 0600 (files) or 0700 (directories), as `path: mode` lines.
    static func wrongModes(below root: String) throws -> [String] {
        var wrong: [String] = []
        var pending = [root]
        while let path = pending.popLast() {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? Int ?? -1) & 0o777
            let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
            if mode != (isDirectory ? 0o700 : 0o600) { wrong.append("\(path): \(String(mode, radix: 8))") }
            if isDirectory {
                pending += try FileManager.default.contentsOfDirectory(atPath: path).map { path + "/" + $0 }
            }
        }
        return wrong
    }

    @Test("after init, backup and a data lane apart: key file, config, strata, index, snapshot refs 0600; directories 0700")
    func privateModes() throws {
        let scratch = try TestDirectory("cli-modes")
        let repository = scratch.path("repo"), dataLane = scratch.path("data-lane")
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: source + "/a", contents: Data(seededBytes(300_000, seed: 5))))
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "pw"])
        let initialized = try basin.run(["init", "--data-location", dataLane])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let backup = try basin.run(["backup", source])
        #expect(backup.status == 0, "\(backup.stderr)")

        // The objects this test is about exist, so an empty walk cannot pass.
        let files = try FileManager.default.subpathsOfDirectory(atPath: repository)
        #expect(files.contains("config") && files.contains { $0.hasPrefix("keys/") } && files.contains { $0.hasPrefix("snapshots/") }
                && files.contains { $0.hasPrefix("meta/") && $0.hasSuffix(".stratum") }, "\(files)")
        #expect(try FileManager.default.subpathsOfDirectory(atPath: dataLane).contains { $0.hasSuffix(".stratum") })
        #expect(try Self.wrongModes(below: repository) == [])
        #expect(try Self.wrongModes(below: dataLane) == [])
    }
}
