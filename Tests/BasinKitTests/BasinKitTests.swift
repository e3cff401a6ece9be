import BasinKit
import BasinTestSupport
import Foundation
import Synchronization
import Testing

/// The library's front door, used as another program would: through `import BasinKit` alone.
@Suite("BasinKit")
struct BasinKitTests {
    /// Small chunks (values of a few hundred KiB become clasts) and cheap scrypt, for speed.
    static var options: BasinCreateOptions {
        var options = BasinCreateOptions()
        options.chunker = try! FastCDCParameters(minSize: 4096, averageSize: 16384, maxSize: 65536)
        options.stratumTargetSize = 256 << 10
        options.kdf = KeyFile.KDFParameters(n: 1 << 10, r: 8, p: 1)
        return options
    }

    static let password = "front door"

    @Test("the README's example is this package's ReadmeExample.swift, and it runs")
    func readmeSnippet() async throws {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let example = try String(contentsOf: here.appendingPathComponent("ReadmeExample.swift"), encoding: .utf8)
        let readme = try String(contentsOf: here.appendingPathComponent("../../README.md"), encoding: .utf8)
        let marker = "<!-- The example below is Tests/BasinKitTests/ReadmeExample.swift, compiled and run by the tests. -->\n```swift\n"
        let start = try #require(readme.range(of: marker), "README.md lacks the library example's marker")
        let end = try #require(readme.range(of: "```\n", range: start.upperBound..<readme.endIndex))
        #expect(String(readme[start.upperBound..<end.lowerBound]) == example)

        let directory = try TestDirectory("kit-readme")
        #expect(try await readmeExample(directory: directory.path("basin")) == "dark settings/language,settings/theme wrongPassword")
    }

    @Test("create then open a local basin; put, get, has, names and remove through the one import")
    func keyValue() async throws {
        let directory = try TestDirectory("kit-kv")
        let location = directory.path("basin")
        let basin = try await Basin.create(location, password: Self.password, options: Self.options)
        #expect(basin.location == location)
        let small = testBytes(100, seed: 1)
        let large = testBytes(300_000, seed: 2)
        let key = try await basin.put(small)
        #expect(key == basin.key(of: small))
        let named = try await basin.put(large, name: "large")
        #expect(await basin.has(key))
        #expect(await basin.has(named))
        #expect(try await basin.get(key) == small)
        #expect(try await basin.get(named: "large") == large)
        #expect(try await basin.key(forName: "large") == named)
        #expect(try await basin.storedKeys() == [key])

        let reopened = try await Basin.open(location, password: Self.password)
        #expect(try await reopened.get(named: "large") == large)
        #expect(try await reopened.names().map(\.name) == ["large"])
        try await reopened.remove(key)
        #expect(try await reopened.storedKeys() == [])
        await expectBasinError(.notFound, naming: key.hex) { try await reopened.remove(key) }
        try await reopened.remove(named: "large")
        #expect(try await reopened.names().isEmpty)
        await expectBasinError(.notFound, naming: "large") { try await reopened.get(named: "large") }
    }

    @Test("a file and a stream are stored with the key of their bytes")
    func fileAndStream() async throws {
        let directory = try TestDirectory("kit-file")
        let basin = try await Basin.create(directory.path("basin"), password: nil, options: Self.unencrypted)
        let value = testBytes(200_000, seed: 3)
        let file = directory.path("value")
        try Data(value).write(to: URL(fileURLWithPath: file))
        let fromFile = try await basin.put(contentsOfFile: file, name: "file")
        #expect(fromFile == basin.key(of: value))
        let remaining = Mutex(value[...])
        let fromStream = try await basin.put(name: "stream") { buffer in
            remaining.withLock { rest in
                let count = min(buffer.count, rest.count, 7000)
                buffer.copyBytes(from: rest.prefix(count))
                rest = rest.dropFirst(count)
                return count
            }
        }
        #expect(fromStream == fromFile)
        #expect(try await basin.get(named: "stream") == value)
        await expectBasinError(.invalidArgument, naming: directory.path("missing")) {
            try await basin.put(contentsOfFile: directory.path("missing"))
        }
    }

    @Test("a batch returns its keys in order and keeps all of its steps or none")
    func batch() async throws {
        let directory = try TestDirectory("kit-batch")
        let location = directory.path("basin")
        let basin = try await Basin.create(location, password: nil, options: Self.unencrypted)
        let values = (0..<5).map { testBytes(1000 + $0, seed: UInt64(10 + $0)) }
        let keys = try await basin.batch { batch in
            for (index, value) in values.enumerated() { batch.put(value, name: "v/\(index)") }
        }
        #expect(keys == values.map { basin.key(of: $0) })
        #expect(try await basin.names(prefix: "v/").map(\.key) == keys)

        // An unknown name fails the whole batch: the put and the other removal are not kept.
        await expectBasinError(.notFound, naming: "nothing was removed") {
            try await basin.batch { batch in
                batch.put(testBytes(10, seed: 20), name: "late")
                batch.remove(named: "v/0")
                batch.remove(named: "unknown")
            }
        }
        let reopened = try await Basin.open(location, password: nil)
        #expect(try await reopened.names().map(\.name) == (0..<5).map { "v/\($0)" })
        await expectBasinError(.invalidArgument, naming: "name") {
            try await reopened.batch { $0.put([1], name: "") }
        }
        try await reopened.flush()
    }

    @Test("a wrong or missing password is .wrongPassword")
    func wrongPassword() async throws {
        let directory = try TestDirectory("kit-password")
        let location = directory.path("basin")
        _ = try await Basin.create(location, password: Self.password, options: Self.options)
        await expectBasinError(.wrongPassword, naming: location) { try await Basin.open(location, password: "not it") }
        await expectBasinError(.wrongPassword, naming: location) { try await Basin.open(location, password: nil) }
        await expectBasinError(.alreadyExists, naming: location) {
            try await Basin.create(location, password: Self.password, options: Self.options)
        }
    }

    @Test("bad options and configs are errors, not crashes, and a refused create writes nothing")
    func badConfig() async throws {
        let directory = try TestDirectory("kit-config")
        var options = Self.options
        options.stratumTargetSize = 100
        await expectBasinError(.invalidArgument, naming: "stratum target size") {
            try await Basin.create(directory.path("tiny"), password: Self.password, options: options)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path("tiny")).isEmpty)
        options = Self.options
        options.compressionLevel = 99
        await expectBasinError(.invalidArgument, naming: "compression level") {
            try await Basin.create(directory.path("level"), password: Self.password, options: options)
        }

        // A config whose chunker sizes FastCDC refuses does not decode (it used to decode, then trap).
        let location = directory.path("basin")
        _ = try await Basin.create(location, password: nil, options: Self.unencrypted)
        let configPath = location + "/config"
        let original = try String(contentsOfFile: configPath, encoding: .utf8)
        let json = original.replacingOccurrences(of: "\"minSize\" : 4096", with: "\"minSize\" : 1")
        try #require(json != original)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(BasinConfig.self, from: Data(json.utf8)) }
        try FileManager.default.removeItem(atPath: configPath)
        try Data(json.utf8).write(to: URL(fileURLWithPath: configPath))
        await expectBasinError(.corrupted, naming: "config") { try await Basin.open(location, password: nil) }
    }

    @Test("opening where there is no basin names the location")
    func missingLocation() async throws {
        let directory = try TestDirectory("kit-missing")
        await expectBasinError(.noRepository, naming: directory.path("absent")) {
            try await Basin.open(directory.path("absent"), password: nil)
        }
        await expectBasinError(.noRepository, naming: directory.path) { try await Basin.open(directory.path, password: nil) }
        await expectBasinError(.invalidArgument) { try await Basin.open("", password: nil) }
        await expectBasinError(.invalidArgument) { try await Basin.open("s3:", password: nil) }
    }

    static var unencrypted: BasinCreateOptions {
        var options = options
        options.encryption = .none
        return options
    }
}
