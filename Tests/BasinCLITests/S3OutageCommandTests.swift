import BasinTestSupport
import Foundation
import Testing

/// `basin backup` when the S3 server goes away in the middle, on a private SeaweedFS this test
/// starts, kills and restarts on the same data and ports (through scripts/s3-server.sh). It
/// needs what the other S3 tests need (weed; BASIN_TEST_S3_ENDPOINT says it is set up) and
/// fails, never skips, without it.
@Suite("CLI on S3: the server stopped in the middle of a backup")
struct S3OutageCommandTests {
    static let bucket = "outage"

    @Test("the backup exits 2 naming the endpoint; after a restart the next one resumes, reusing every committed grain")
    func serverStoppedMidBackup() throws {
        guard let endpoint = ProcessInfo.processInfo.environment["BASIN_TEST_S3_ENDPOINT"], !endpoint.isEmpty else {
            throw S3CommandTests.MissingServer()
        }
        let scratch = try ScratchDirectory()
        let server = try PrivateS3Server()
        defer { server.stop() }
        try server.start()
        let basin = runner(server, prefix: "resumed", home: scratch.path)
        // Small strata, so the backup commits many before it ends.
        let initOptions = ["init", "--stratum-size", "1048576", "--chunk-sizes", "16384,65536,262144"]
        let created = try basin.run(initOptions)
        #expect(created.status == 0, "\(created.stderr)")
        let source = scratch.path + "/source"
        var tree = TreeGenerator.Options()
        tree.largeFileSizes = [14 << 20 + 3, 10 << 20 + 5, 6 << 20 + 7]
        _ = try TreeGenerator.generate(at: source, options: tree)

        // Once two data strata are in the bucket, the backup is paused while the server is
        // killed (so it cannot finish first), then continued against the dead endpoint.
        let interrupted = try basin.start(["backup", source])
        var committed: [String] = []
        while committed.count < 2 {
            guard interrupted.process.isRunning else {
                let result = interrupted.wait()
                Issue.record("the backup ended (\(result.status)) before two strata were committed: \(result.stderr)")
                return
            }
            committed = try Self.strata(server, prefix: "resumed/data/")
            usleep(20_000)
        }
        kill(interrupted.process.processIdentifier, SIGSTOP)
        server.kill()
        kill(interrupted.process.processIdentifier, SIGCONT)
        let failed = try #require(interrupted.wait(seconds: 300), "the backup did not end within 5 minutes of the server's death")
        #expect(!failed.signaled, "the backup crashed (signal \(failed.status)): \(failed.stderr)")
        #expect(failed.status == 2, "\(failed.stderr)")
        // One line naming the endpoint, the bucket and an object, saying why.
        #expect(failed.stderr.hasPrefix("basin: ") && failed.stderr.split(separator: "\n").count == 1, "\(failed.stderr)")
        #expect(failed.stderr.contains("cannot reach the S3 endpoint \(server.endpoint)"), "\(failed.stderr)")
        #expect(failed.stderr.contains("in bucket '\(Self.bucket)'")  && failed.stderr.contains("after 5 attempts"), "\(failed.stderr)")

        try server.start()
        let left = try Self.strata(server, prefix: "resumed/data/")
        #expect(Set(committed).isSubset(of: Set(left)), "committed strata vanished: \(committed) vs \(left)")
        let before = try Self.lanes(basin)
        let committedData = try #require(before["data"]?["rawBytes"] as? Int)
        #expect(committedData > 0)

        let resumed = try basin.run(["backup", source, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let added = try Self.bytesAdded(resumed)

        // The same tree backed up in one go into a fresh basin on the same server.
        let fresh = runner(server, prefix: "fresh", home: scratch.path)
        #expect(try fresh.run(initOptions).status == 0)
        let whole = try fresh.run(["backup", source, "--json"])
        #expect(whole.status == 0, "\(whole.stderr)")
        let wholeAdded = try Self.bytesAdded(whole)
        // bytes_added counts the meta lane too, whose trees and snapshot record differ by a few
        // bytes between runs (times): the exact check is on the data lane below.
        let metaSlack = 4096
        #expect(added <= wholeAdded - committedData + metaSlack, "resumed: \(added) bytes added; in one go: \(wholeAdded); committed before: \(committedData)")
        let after = try Self.lanes(basin), reference = try Self.lanes(fresh)
        // Nothing committed before the outage was stored again: the data lane holds exactly
        // what one backup in one go stores.
        #expect(after["data"]?["grains"] as? Int == reference["data"]?["grains"] as? Int, "\(after) vs \(reference)")
        #expect(after["data"]?["rawBytes"] as? Int == reference["data"]?["rawBytes"] as? Int, "\(after) vs \(reference)")

        let target = scratch.path + "/restored"
        let restore = try basin.run(["restore", "latest:" + source, "--target", target, "--verify"])
        #expect(restore.status == 0, "\(restore.stderr)")
        let differences = try TreeComparer.compare(source: source, restored: target)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
        let check = try basin.run(["check"])
        #expect(check.status == 0, "\(check.output) \(check.stderr)")
    }

    /// `basin` on an encrypted basin at `s3:ENDPOINT/outage/PREFIX` of `server`.
    private func runner(_ server: PrivateS3Server, prefix: String, home: String) -> CLIRunner {
        CLIRunner(environment: [
            "BASIN_REPOSITORY": "s3:\(server.endpoint)/\(Self.bucket)/\(prefix)", "BASIN_PASSWORD": "pw",
            "HOME": home,
            "AWS_ACCESS_KEY_ID": server.accessKey, "AWS_SECRET_ACCESS_KEY": server.secretKey,
        ])
    }

    /// The `.stratum` objects under `prefix` in the bucket (curl signs the listing: it is
    /// quick enough to poll, unlike the aws command).
    private static func strata(_ server: PrivateS3Server, prefix: String) throws -> [String] {
        let encoded = prefix.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? prefix
        let listing = try runTool("/usr/bin/curl", [
            "-sS", "--fail", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "\(server.accessKey):\(server.secretKey)",
            "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "\(server.endpoint)/\(bucket)?list-type=2&prefix=\(encoded)",
        ])
        guard listing.status == 0 else {
            throw PrivateS3Server.Failure(description: "listing \(prefix) failed (curl \(listing.status)): \(listing.output)")
        }
        return listing.output.components(separatedBy: "<Key>").dropFirst()
            .compactMap { $0.components(separatedBy: "</Key>").first }.filter { $0.hasSuffix(".stratum") }
    }

    /// `basin stats --json`'s lanes.
    private static func lanes(_ basin: CLIRunner) throws -> [String: [String: Any]] {
        let stats = try basin.run(["stats", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout)) as? [String: Any], "\(stats.stderr)")
        return try #require(json["lanes"] as? [String: [String: Any]])
    }

    /// `summary.bytes_added` of `backup --json` (the snapshot record's summary, docs/FORMAT.md).
    private static func bytesAdded(_ backup: CLIRunner.Result) throws -> Int {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(backup.stdout)) as? [String: Any], "\(backup.stderr)")
        return try #require((json["summary"] as? [String: Any])?["bytes_added"] as? Int, "\(json)")
    }
}
