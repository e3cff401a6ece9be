import BasinTestSupport
import Foundation
import Testing

/// Spellings and output conventions docs/CLI.md promises: restic's flags, options before the
/// subcommand, escaped names in text output, warnings about unencrypted basins.
@Suite("CLI: flags, option order, escaped names, encryption warnings")
struct CLIConventionsTests {
    let scratch: TestDirectory
    let repository: String
    let basin: CLIRunner

    init() throws {
        scratch = try TestDirectory("cli-conventions")
        repository = scratch.path("repo")
        basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
    }

    func makeSource(_ names: [String]) throws -> String {
        let source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        for (index, name) in names.enumerated() {
            #expect(FileManager.default.createFile(atPath: source + "/" + name, contents: Data(seededBytes(100, seed: UInt64(index)))))
        }
        return source
    }

    @Test("backup -x/--one-file-system and -n/--dry-run as documented; the old -o and -d still work, unlisted")
    func backupFlags() throws {
        #expect(try basin.run(["init", "--no-encryption"]).status == 0)
        let source = try makeSource(["a"])
        for flags in [["-n", "-x"], ["--dry-run", "--one-file-system"], ["-d", "-o"]] {
            let result = try basin.run(["backup", source] + flags)
            #expect(result.status == 0, "\(flags): \(result.stderr)")
            #expect(result.output.contains("dry run: nothing was stored"), "\(flags): \(result.output)")
        }
        let refs = (try? FileManager.default.contentsOfDirectory(atPath: repository + "/snapshots")) ?? []
        #expect(refs.isEmpty, "\(refs)")
        let help = try basin.run(["backup", "--help"]).output
        #expect(help.contains("-x, --one-file-system") && help.contains("-n, --dry-run"), "\(help)")
        #expect(!help.contains("-o,") && !help.contains("-d,") && !help.contains("[-o]") && !help.contains("[-d]"), "\(help)")
    }

    @Test("repository options before the subcommand: basin -r REPO snapshots, --repo=REPO, --password-file before ls")
    func optionsBeforeSubcommand() throws {
        let encrypted = CLIRunner(environment: ["BASIN_PASSWORD": "pw"])
        #expect(try encrypted.run(["-r", repository, "init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "pw")
        let source = try makeSource(["a"])
        #expect(try encrypted.run(["--repo=" + repository, "backup", source]).status == 0)
        let listed = try encrypted.run(["-r", repository, "snapshots", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(listed.stdout)) as? [Any])?.count == 1)
        let passwordFile = scratch.path("password")
        try Data("pw\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
        let bare = CLIRunner(environment: [:])
        let ls = try bare.run(["-r", repository, "--password-file", passwordFile, "ls", "latest", "--", source + "/a"])
        #expect(ls.status == 0 && ls.output.contains(source + "/a"), "\(ls.stderr)")
        // Options that are not the repository's stay where they were, and are refused there.
        #expect(try encrypted.run(["--json", "-r", repository, "snapshots"]).status == 64)
    }

    @Test("ls, find and diff print newlines and control bytes in names as \\xNN, which dump and restore accept; --json keeps the exact name")
    func escapedNames() throws {
        #expect(try basin.run(["init", "--no-encryption"]).status == 0)
        let source = try makeSource(["plain"])
        #expect(try basin.run(["backup", source]).status == 0)
        let evil = "evil\nfake\u{1b}[2J"
        #expect(FileManager.default.createFile(atPath: source + "/" + evil, contents: Data("x".utf8)))
        #expect(try basin.run(["backup", source]).status == 0)

        let escaped = source + "/evil\\x0afake\\x1b[2J"
        let ls = try basin.run(["ls", "latest"])
        #expect(ls.status == 0)
        #expect(ls.output.split(separator: "\n").contains { $0 == escaped }, "\(ls.output)")
        #expect(!ls.output.contains("\u{1b}") && !ls.output.split(separator: "\n").contains { $0.hasPrefix("fake") }, "\(ls.output)")
        #expect(try basin.run(["ls", "--long", "latest"]).output.contains(escaped))
        let find = try basin.run(["find", "evil*"])
        #expect(find.status == 0 && find.output.split(separator: "\n").contains { $0 == escaped }, "\(find.output)")
        let diff = try basin.run(["diff", "latest", "latest"])
        #expect(diff.status == 0)
        let snapshots = try #require(try JSONSerialization.jsonObject(with: Data(try basin.run(["snapshots", "--json"]).stdout)) as? [[String: Any]])
        let ids = snapshots.compactMap { $0["id"] as? String }
        let changes = try basin.run(["diff", ids[0], ids[1]])
        #expect(changes.output.contains("+    " + escaped), "\(changes.output)")

        // What the listing prints names the entry for dump and restore.
        let dump = try basin.run(["dump", "latest", escaped])
        #expect(dump.status == 0 && dump.output == "x", "\(dump.stderr)")
        let target = scratch.path("restored")
        let restore = try basin.run(["restore", "latest:" + escaped, "--target", target])
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(FileManager.default.contents(atPath: target + "/" + evil) == Data("x".utf8))

        let json = try basin.run(["ls", "latest", "--json"])
        let names = json.output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.compactMap { $0["name"] as? String }
        #expect(names.contains(evil), "\(names)")
    }

    @Test("init --no-encryption warns; a password given to an unencrypted basin is named unused")
    func encryptionWarnings() throws {
        let created = try basin.run(["init", "--no-encryption"])
        #expect(created.status == 0 && created.stderr.contains("warning: the basin is not encrypted"), "\(created.stderr)")
        var withPassword = basin
        withPassword.environment["BASIN_PASSWORD"] = "pw"
        let listed = try withPassword.run(["snapshots"])
        #expect(listed.status == 0 && listed.stderr.contains("is not encrypted; the password given is not used"), "\(listed.stderr)")
        #expect(try basin.run(["snapshots"]).stderr.isEmpty)
    }
}
