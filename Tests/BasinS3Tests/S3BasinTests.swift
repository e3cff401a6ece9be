import BasinBackend
import BasinCore
import BasinStore
import BasinTestSupport
import Foundation
import Testing
@testable import BasinS3

/// Small chunks and strata so a few hundred KiB make clasts and several strata.
func smallOptions() -> BasinCreateOptions {
    var options = BasinCreateOptions()
    options.chunker = try! FastCDCParameters(minSize: 1024, averageSize: 4096, maxSize: 16384)
    options.stratumTargetSize = 64 << 10
    options.kdf = .testing
    return options
}

/// Opens lanes placed on S3 with the test server's credentials and the lane's storage class.
func s3Resolver(sleeps: SleepRecorder? = nil) -> BackendResolver {
    { lane throws(BasinError) in
        var options = S3TestServer.options(sleeps: sleeps)
        options.storageClass = lane.storageClass
        return S3Backend(location: try S3Location(lane.location), credentials: S3TestServer.credentials, options: options)
    }
}

/// A basin whose config, keys and every lane live on the real S3 server.
@Suite("Basin on S3")
struct S3BasinTests {
    static let sizes = [0, 1, 100, 5000, 16385, 100_000, 300_001]

    @Test("put/get of small and clast-sized values, flush, reopen; the bucket's layout is FORMAT.md's")
    func basinOnS3() async throws {
        try await S3TestServer.withBackend { backend in
            let basin = try await Basin.create(backend: backend, password: "pw", options: smallOptions(), resolve: s3Resolver())
            var keys: [Key] = []
            for (index, size) in Self.sizes.enumerated() { keys.append(try await basin.writeValue(testBytes(size, seed: UInt64(index)))) }
            try await basin.flush()
            let reopened = try await Basin.open(backend: backend, password: "pw", resolve: s3Resolver())
            for (index, size) in Self.sizes.enumerated() {
                #expect(try await reopened.get(keys[index]) == testBytes(size, seed: UInt64(index)), "\(size) bytes")
            }
            #expect(try await reopened.grain(keys[Self.sizes.firstIndex(of: 300_001)!]).kind == .clast)

            // The layout as another S3 client sees it (docs/FORMAT.md §1).
            let names = try awsListing(backend.s3Location)
            #expect(Set(names) == Set(try await backend.list(prefix: "").map(\.name)))
            let patterns = [
                #"^config$"#, #"^keys/[0-9a-f]{16}$"#, #"^data/([0-9a-f]{2})/\1[0-9a-f]{14}\.stratum$"#,
                #"^meta/([0-9a-f]{2})/\1[0-9a-f]{14}\.stratum$"#, #"^index/[0-9a-f]{16}\.seg$"#,
            ].map { try! Regex($0) }
            for name in names {
                #expect(patterns.contains { name.wholeMatch(of: $0) != nil }, "unexpected object '\(name)'")
            }
            for folder in ["config", "keys/", "data/", "meta/", "index/"] {
                #expect(names.contains { $0.hasPrefix(folder) }, "no \(folder) object in \(names)")
            }
            #expect(names.filter { $0.hasPrefix("data/") }.count > 1)
            let config = try BasinConfig.decode(try await backend.read("config"), location: backend.location)
            #expect(config.lanes.isEmpty)
        }
    }

    @Test("the data lane on another prefix, with its own storage class; meta and index stay hot")
    func coldDataLane() async throws {
        try await S3TestServer.withBackend { hot in
            let coldLocation = try S3TestServer.freshLocation()
            var options = smallOptions()
            options.laneLocations = ["data": coldLocation]
            options.laneStorageClasses = ["data": "STANDARD_IA"]
            let basin = try await Basin.create(backend: hot, password: "pw", options: options, resolve: s3Resolver())
            let value = testBytes(200_000, seed: 9)
            let key = try await basin.writeValue(value)
            try await basin.flush()

            let config = try BasinConfig.decode(try await hot.read("config"), location: hot.location)
            #expect(config.lanes["data"] == BasinConfig.LaneLocation(location: coldLocation, storageClass: "STANDARD_IA"))
            let configText = String(decoding: try await hot.read("config"), as: UTF8.self)
            #expect(configText.contains("\"storageClass\" : \"STANDARD_IA\""))

            let cold = S3Backend(location: try S3Location(coldLocation), credentials: S3TestServer.credentials,
                                 options: S3TestServer.options())
            defer { Task { await cold.shutdown() } }
            #expect(try await hot.list(prefix: "data/").isEmpty)
            let hotMeta = try await hot.list(prefix: "meta/")
            let hotIndex = try await hot.list(prefix: "index/")
            #expect(!hotMeta.isEmpty && !hotIndex.isEmpty)
            let coldObjects = try await cold.list(prefix: "")
            #expect(!coldObjects.isEmpty && coldObjects.allSatisfy { $0.name.hasPrefix("data/") })
            for object in coldObjects {
                let (head, _) = try await cold.send("HEAD", key: cold.s3Location.key(for: object.name), what: object.name)
                #expect(head.headers["x-amz-storage-class"] == "STANDARD_IA", "\(object.name)")
            }
            let reopened = try await Basin.open(backend: hot, password: "pw", resolve: s3Resolver())
            #expect(try await reopened.get(key) == value)
        }
    }

    @Test("a config without storageClass (older basins) still reads; with one it round-trips")
    func laneLocationJSON() throws {
        let old = Array(#"{"location": "/srv/cold"}"#.utf8)
        let decoded = try JSONDecoder().decode(BasinConfig.LaneLocation.self, from: Data(old))
        #expect(decoded == BasinConfig.LaneLocation(location: "/srv/cold"))
        let plain = String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self)
        #expect(!plain.contains("storageClass"))
        let classed = BasinConfig.LaneLocation(location: "s3:http://h/b/p", storageClass: "GLACIER")
        #expect(try JSONDecoder().decode(BasinConfig.LaneLocation.self, from: JSONEncoder().encode(classed)) == classed)
    }
}

/// Object names under `location` as `aws s3 ls --recursive` prints them, prefix removed.
func awsListing(_ location: S3Location) throws -> [String] {
    let output = try runProgram("/usr/bin/env", [
        "aws", "--endpoint-url", location.endpoint, "s3", "ls", "--recursive", "s3://\(location.bucket)/\(location.prefix)/",
    ], environment: [
        "AWS_ACCESS_KEY_ID": S3TestServer.credentials.accessKeyID,
        "AWS_SECRET_ACCESS_KEY": S3TestServer.credentials.secretAccessKey,
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    ])
    // Lines: `2026-01-01 12:00:00       1234 prefix/data/3f/3f….stratum`.
    return output.split(separator: "\n").compactMap { line in
        let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard fields.count == 4 else { return nil }
        return location.name(forKey: String(fields[3]))
    }
}
