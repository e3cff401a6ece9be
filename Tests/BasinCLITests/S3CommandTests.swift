import BasinTestSupport
import Foundation
import Testing

/// The store commands on an `s3:` basin, against the S3 server of scripts/s3-server.sh
/// (BASIN_TEST_S3_ENDPOINT; without it these tests fail, they never skip).
@Suite("CLI on S3: init, put, get, storage class, errors")
struct S3CommandTests {
    let scratch: ScratchDirectory
    let endpoint: String
    let repository: String
    var basin: CLIRunner

    init() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["BASIN_TEST_S3_ENDPOINT"], !endpoint.isEmpty else {
            throw MissingServer()
        }
        scratch = try ScratchDirectory()
        self.endpoint = endpoint
        repository = "s3:\(endpoint)/basin-cli-test/r-\(UUID().uuidString.lowercased())"
        basin = CLIRunner(environment: [
            "BASIN_REPOSITORY": repository, "HOME": scratch.path,
            "AWS_ACCESS_KEY_ID": environment["BASIN_TEST_S3_ACCESS_KEY"] ?? "basin-test",
            "AWS_SECRET_ACCESS_KEY": environment["BASIN_TEST_S3_SECRET_KEY"] ?? "basin-test-secret",
        ])
    }

    struct MissingServer: Error, CustomStringConvertible {
        var description: String {
            "BASIN_TEST_S3_ENDPOINT is not set: run `bash scripts/test.sh`, or `bash scripts/s3-server.sh start` and source its env file"
        }
    }

    @Test("init creates the bucket; put prints b3sum's key; get and has read it back, small and clast-sized")
    func roundTrip() throws {
        let created = try basin.run(["init", "--no-encryption", "--chunk-sizes", "4096,16384,65536", "--stratum-size", "100000"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.output.contains(repository))
        for (index, size) in [10, 70_000, 400_000].enumerated() {
            let value = seededBytes(size, seed: UInt64(index))
            let path = try scratch.file("value\(index)", value)
            let put = try basin.run(["put", path])
            #expect(put.status == 0, "\(put.stderr)")
            let key = put.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key == (try runTool("/usr/bin/b3sum", ["--no-names", path])).output.trimmingCharacters(in: .whitespacesAndNewlines))
            let get = try basin.run(["get", key])
            #expect(get.status == 0 && get.stdout == value, "\(get.stderr)")
            #expect(try basin.run(["has", key]).status == 0)
        }
        let stats = try basin.run(["stats", "--json"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout)) as? [String: Any])
        let lanes = try #require(json["lanes"] as? [String: [String: Any]])
        #expect((lanes["data"]?["strata"] as? Int ?? 0) > 1)
        let again = try basin.run(["init", "--no-encryption"])  // one basin per location
        #expect(again.status == 2 && again.stderr.contains("a basin already exists at"), "\(again.stderr)")
    }

    @Test("--data-storage-class writes the data lane's strata with that class and records it in the config")
    func dataStorageClass() throws {
        let created = try basin.run(["init", "--no-encryption", "--data-storage-class", "STANDARD_IA"])
        #expect(created.status == 0, "\(created.stderr)")
        let config = try basin.run(["cat", "config"])
        #expect(config.output.contains("\"storageClass\" : \"STANDARD_IA\""), "\(config.output)")
        let path = try scratch.file("value", seededBytes(300_000, seed: 4))
        #expect(try basin.run(["put", path]).status == 0)
        let prefix = String(repository.split(separator: "/").last!)
        let classes = try runTool("/usr/bin/env", [
            "aws", "--endpoint-url", endpoint, "s3api", "list-objects-v2", "--bucket", "basin-cli-test",
            "--prefix", "\(prefix)/", "--query", "Contents[].[Key,StorageClass]", "--output", "text",
        ], environment: basin.environment.merging(["AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null"]) { _, new in new })
        let rows = classes.output.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        let data = rows.filter { $0.first?.contains("/data/") == true }
        #expect(!data.isEmpty, "\(classes.output)")
        #expect(data.allSatisfy { $0.last == "STANDARD_IA" }, "\(classes.output)")
        #expect(rows.filter { $0.first?.contains("/meta/") == true }.allSatisfy { $0.last == "STANDARD" }, "\(classes.output)")
    }

    @Test("backup, snapshots, ls, restore on S3 with the data lane on another prefix (cold): the restored tree equals the source")
    func backupAndRestore() throws {
        let source = scratch.path + "/source"
        _ = try TreeGenerator.generate(at: source)
        var encrypted = basin
        encrypted.environment["BASIN_PASSWORD"] = "pw"
        let coldLocation = repository + "-cold"
        let created = try encrypted.run(["init", "--data-location", coldLocation, "--data-storage-class", "STANDARD_IA",
                                         "--chunk-sizes", "65536,262144,1048576"])
        #expect(created.status == 0, "\(created.stderr)")
        let backup = try encrypted.run(["backup", source])
        #expect(backup.status == 0 && backup.output.contains("saved"), "\(backup.stderr)")
        let again = try encrypted.run(["backup", source, "--json"])
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout)) as? [String: Any])
        #expect(summary["files_read"] as? Int == 0)
        #expect(try encrypted.run(["snapshots"]).output.contains("2 snapshots"))
        #expect(try encrypted.run(["ls", "latest", source]).status == 0)
        let target = scratch.path + "/restored"
        let restore = try encrypted.run(["restore", "latest:" + source, "--target", target, "--verify"])
        #expect(restore.status == 0, "\(restore.stderr)")
        let differences = try TreeComparer.compare(source: source, restored: target)
        #expect(differences.isEmpty, "\(differences.prefix(10))")
        #expect(try encrypted.run(["check"]).status == 0)
    }

    @Test("wrong credentials, a missing bucket, an unreachable endpoint, a storage class on a local basin")
    func errors() throws {
        var wrong = basin
        wrong.environment["AWS_SECRET_ACCESS_KEY"] = "wrong"
        let refused = try wrong.run(["init", "--no-encryption"])
        #expect(refused.status == 64 && refused.stderr.contains("refused the credentials"), "\(refused.stderr)")

        var missing = basin
        missing.environment["BASIN_REPOSITORY"] = "s3:\(endpoint)/basin-no-such-bucket-\(UUID().uuidString.prefix(8).lowercased())/x"
        let absent = try missing.run(["has", String(repeating: "a", count: 64)])
        #expect(absent.status == 10 && absent.stderr.contains("does not exist"), "\(absent.stderr)")

        var unreachable = basin
        unreachable.environment["BASIN_REPOSITORY"] = "s3:http://127.0.0.1:9/bucket/x"
        let down = try unreachable.run(["has", String(repeating: "a", count: 64)])
        #expect(down.status == 2 && down.stderr.contains("http://127.0.0.1:9"), "\(down.stderr)")

        var local = basin
        local.environment["BASIN_REPOSITORY"] = scratch.path + "/local"
        let usage = try local.run(["init", "--no-encryption", "--data-storage-class", "STANDARD_IA"])
        #expect(usage.status == 64 && usage.stderr.contains("--data-storage-class"), "\(usage.stderr)")
    }

    @Test("BASIN_S3_BUCKET_LOOKUP: path (the default) sends HOST/BUCKET/KEY; dns sends BUCKET.HOST/KEY; anything else exits 64")
    func bucketLookup() throws {
        var path = basin
        path.environment["BASIN_S3_BUCKET_LOOKUP"] = "path"
        #expect(try path.run(["init", "--no-encryption"]).status == 0)
        #expect(try path.run(["stats"]).status == 0)
        // The server answers at 127.0.0.1, which names no bucket host: a virtual-hosted request
        // goes to basin-cli-test.127.0.0.1, which does not resolve (exit 2, naming that host).
        var dns = basin
        dns.environment["BASIN_S3_BUCKET_LOOKUP"] = "dns"
        let virtual = try dns.run(["stats"])
        let host = endpoint.replacingOccurrences(of: "://", with: "://basin-cli-test.")
        #expect(virtual.status == 2 && virtual.stderr.contains("cannot reach the S3 endpoint \(host)"), "\(virtual.stderr)")
        var bogus = basin
        bogus.environment["BASIN_S3_BUCKET_LOOKUP"] = "virtual"
        let refused = try bogus.run(["stats"])
        #expect(refused.status == 64 && refused.stderr.contains("BASIN_S3_BUCKET_LOOKUP is dns or path, not 'virtual'"), "\(refused.stderr)")
    }
}
