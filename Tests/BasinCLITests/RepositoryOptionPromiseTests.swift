import BasinStore
import BasinTestSupport
import Foundation
import Testing

/// docs/CLI.md's promises about the options every command takes: where the basin is
/// (`-r/--repo`, `$BASIN_REPOSITORY`), where the password comes from and in which order, and
/// `--retry-lock`.
@Suite("CLI promises: -r/--repo, password sources in order, --retry-lock")
struct RepositoryOptionPromiseTests {
    let scratch: TestDirectory
    let repository: String
    let source: String

    init() throws {
        scratch = try TestDirectory("cli-repository-options")
        repository = scratch.path("repo")
        source = scratch.path("source")
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        try Data(SplitMix64.bytes(5_000, seed: 1)).write(to: URL(fileURLWithPath: source + "/a"))
    }

    /// A file holding `text` and a newline, as `echo` writes it.
    func passwordFile(_ name: String, _ text: String) throws -> String {
        let path = scratch.path(name)
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("-r and --repo, before or after the subcommand, name the basin and win over $BASIN_REPOSITORY")
    func repositoryOption() throws {
        let elsewhere = scratch.path("no-basin-here")
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": elsewhere])
        #expect(try basin.run(["init", "--no-encryption", "-r", repository]).status == 0)
        #expect(try basin.run(["backup", "--repo", repository, source]).status == 0)
        for arguments in [["-r", repository, "snapshots", "--json"], ["--repo", repository, "snapshots", "--json"],
                          ["--repo=" + repository, "snapshots", "--json"], ["snapshots", "-r", repository, "--json"],
                          ["snapshots", "--json", "--repo", repository], ["snapshots", "--repo=" + repository, "--json"]] {
            let listed = try basin.run(arguments)
            #expect(listed.status == 0, "\(arguments): \(listed.stderr)")
            #expect((try JSONSerialization.jsonObject(with: Data(listed.stdout)) as? [Any])?.count == 1, "\(arguments): \(listed.output)")
        }
        // Without the option, $BASIN_REPOSITORY is the basin: here none (exit 10, naming it).
        let missing = try basin.run(["snapshots"])
        #expect(missing.status == 10 && missing.stderr.contains(elsewhere), "\(missing.stderr)")
        let none = try CLIRunner().run(["snapshots"])
        #expect(none.status == 64 && none.stderr.contains("-r/--repo"), "\(none.stderr)")
    }

    @Test("an invalid location, or an S3 location without credentials, is a usage error (64) naming it")
    func invalidLocations() throws {
        let basin = CLIRunner(environment: ["HOME": scratch.path, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                                            "AWS_SHARED_CREDENTIALS_FILE": scratch.path("no-credentials")])
        for location in ["s3:ftp://host/bucket", "s3:http://host:99999/bucket", "s3:http://host/"] {
            let result = try basin.run(["snapshots", "-r", location])
            #expect(result.status == 64 && result.stderr.contains(location.dropFirst(3).prefix(8)), "\(location): \(result.stderr)")
        }
        let noCredentials = try basin.run(["snapshots", "-r", "s3:http://127.0.0.1:9/bucket"])
        #expect(noCredentials.status == 64 && noCredentials.stderr.contains("AWS_ACCESS_KEY_ID"), "\(noCredentials.stderr)")
    }

    @Test("the password comes from --password-file, then $BASIN_PASSWORD_FILE, then $BASIN_PASSWORD, then the terminal")
    func passwordSourcesInOrder() throws {
        #expect(try CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "right"]).run(["init"]).status == 0)
        try KeyFiles.resealCheaply(basinAt: repository, password: "right")
        let right = try passwordFile("right", "right"), wrong = try passwordFile("wrong", "wrong")

        // Each row: the sources given, and whether the first of them in CLI.md's order is the right one.
        let rows: [(flag: String?, fileVariable: String?, variable: String?, opens: Bool)] = [
            (right, wrong, "wrong", true), (wrong, right, "right", false),
            (nil, right, "wrong", true), (nil, wrong, "right", false),
            (nil, nil, "right", true), (nil, nil, "wrong", false),
        ]
        for row in rows {
            var environment = ["BASIN_REPOSITORY": repository]
            environment["BASIN_PASSWORD_FILE"] = row.fileVariable
            environment["BASIN_PASSWORD"] = row.variable
            let arguments = ["snapshots"] + (row.flag.map { ["--password-file", $0] } ?? [])
            let result = try CLIRunner(environment: environment).run(arguments)
            if row.opens {
                #expect(result.status == 0, "\(row): \(result.stderr)")
            } else {
                #expect(result.status == 12 && result.stderr.contains("wrong password"), "\(row): \(result.stderr)")
            }
        }
        let unreadable = try CLIRunner(environment: ["BASIN_REPOSITORY": repository, "BASIN_PASSWORD": "right"])
            .run(["snapshots", "--password-file", scratch.path("absent")])
        #expect(unreadable.status == 64 && unreadable.stderr.contains("cannot read the password file \(scratch.path("absent"))"),
                "\(unreadable.stderr)")

        // None given and no terminal: wrong password (12). On a terminal: a prompt.
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
        let noTerminal = try basin.run(["snapshots"])
        #expect(noTerminal.status == 12, "\(noTerminal.stderr)")
        let prompted = try basin.runInTerminal(["snapshots"], answering: "enter password for basin: ", with: "right")
        #expect(prompted.status == 0 && prompted.transcript.contains("0 snapshots"), "\(prompted.transcript)")
        #expect(!prompted.transcript.contains("right"), "the typed password was echoed: \(prompted.transcript)")
        let wrongTyped = try basin.runInTerminal(["snapshots"], answering: "enter password for basin: ", with: "wrong")
        #expect(wrongTyped.status == 12 && wrongTyped.transcript.contains("wrong password"), "\(wrongTyped.transcript)")
        // A password from the environment: no prompt even on a terminal.
        var withVariable = basin
        withVariable.environment["BASIN_PASSWORD"] = "right"
        let quiet = try withVariable.runInTerminal(["snapshots"])
        #expect(quiet.status == 0 && !quiet.transcript.contains("enter password"), "\(quiet.transcript)")
    }

    /// An unencrypted basin with a live exclusive lock of another host in it (its pid cannot be
    /// probed from here, so it never counts as stale before 30 minutes).
    func lockedBasin() async throws -> (basin: CLIRunner, lock: String) {
        let basin = CLIRunner(environment: ["BASIN_REPOSITORY": repository])
        #expect(try basin.run(["init", "--no-encryption"]).status == 0)
        let opened = try await SnapshotFixture.localRepository(at: repository, create: false)
        let record = LockRecord(holder: LockHolder(hostname: "otherhost", pid: 4242, username: "them"), operation: "prune (delete)",
                                exclusive: true, time: Date(), refreshed: Date())
        let name = "locks/00000000000000f1"
        try await opened.basin.writeSealedObject(name, plain: record.encoded())
        return (basin, name)
    }

    @Test("--retry-lock: says it waits, keeps trying, then exits 11 naming the holder when the lock stays")
    func retryLockGivesUp() async throws {
        let (basin, _) = try await lockedBasin()
        for arguments in [["backup", source, "--retry-lock", "1s"], ["--retry-lock", "1s", "backup", source],
                          ["prune", "--retry-lock", "1s"], ["index", "rebuild", "--retry-lock", "1s"]] {
            let result = try basin.run(arguments)
            #expect(result.status == 11, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("waiting up to 1s for it (--retry-lock)"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("locked exclusively by pid 4242 on host otherhost"), "\(arguments): \(result.stderr)")
        }
        // Without --retry-lock: exit 11 at once, no waiting said.
        let atOnce = try basin.run(["backup", source])
        #expect(atOnce.status == 11 && atOnce.stderr.contains("locked exclusively by pid 4242 on host otherhost") && !atOnce.stderr.contains("waiting"),
                "\(atOnce.stderr)")
        let malformed = try basin.run(["backup", source, "--retry-lock", "soon"])
        #expect(malformed.status == 64 && malformed.stderr.contains("--retry-lock") && malformed.stderr.contains("soon"), "\(malformed.stderr)")
        let refs = FileManager.default.fileExists(atPath: repository + "/snapshots")
            ? try FileManager.default.contentsOfDirectory(atPath: repository + "/snapshots") : []
        #expect(refs.isEmpty, "a backup ran under another process's exclusive lock: \(refs)")
    }

    @Test("--retry-lock: a backup that finds the basin locked waits, and succeeds once the holder releases it")
    func retryLockWaitsForRelease() async throws {
        let (basin, lock) = try await lockedBasin()
        let running = try basin.start(["backup", source, "--retry-lock", "10m"])
        let waiting = running.waitForError(containing: "(--retry-lock)")
        #expect(waiting, "the backup never said it waits")
        try FileManager.default.removeItem(atPath: repository + "/" + lock)
        let result = try #require(running.wait(seconds: CLIRunner.commandTimeout))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.output.contains("saved"), "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: repository + "/snapshots").count == 1)
    }
}
