import BasinCore
import Foundation

/// The committed golden files (`Tests/BasinCoreTests/Golden/`), which `scripts/golden_format.py`
/// writes from docs/FORMAT.md alone, and the fixed test-only inputs it uses.
public enum GoldenFile {
    public static let stratumID: UInt64 = 0x0123_4567_89ab_cdef
    public static let stratumSalt = (0..<32).map { UInt8($0) }
    public static let masterKey = (0..<32).map { UInt8(0x80 + $0) }
    public static let idKey = (0..<32).map { UInt8(0xa0 + $0) }
    public static let objectSalt = (0..<32).map { UInt8(0x40 + $0) }
    public static let password = "correct horse basin"
    /// The values of the golden strata, in order.
    public static let values: [[UInt8]] = [Array("hello basin\n".utf8), Array("grain two".utf8)]

    /// The algorithms every golden comes in, with the label in its file name.
    public static let algorithms: [(algorithm: PayloadAlgorithm, label: String)] = [
        (.none, "plain"), (.chacha20Poly1305, "chacha20-poly1305"), (.aes256GCM, "aes-256-gcm"),
    ]

    /// How a basin of `algorithm` keys content: keyed with the id-key when encrypted (FORMAT.md, conventions).
    public static func keyFunction(_ algorithm: PayloadAlgorithm) -> KeyFunction {
        algorithm == .none ? .plain : .keyed(idKey: idKey)
    }

    public static func url(_ file: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../BasinCoreTests/Golden/\(file)").standardizedFileURL
    }

    public static func text(_ file: String) throws -> String {
        try String(contentsOf: url(file), encoding: .utf8)
    }

    /// A `.hex` golden: an optional `# name` line (a sealed object's name), then hex digits.
    public static func hex(_ file: String) throws -> (name: String?, bytes: [UInt8]) {
        var name: String?
        var digits = ""
        for line in try text(file).split(separator: "\n") {
            if line.hasPrefix("# ") { name = String(line.dropFirst(2)) } else { digits += line.filter { !$0.isWhitespace } }
        }
        guard let bytes = Hex.decode(digits) else { throw GoldenFileError(file: file, problem: "is not hex") }
        return (name, bytes)
    }

    /// The golden sealed object `<kind>-<label>.hex` of `algorithm`, opened under the golden
    /// master key: its name and its plaintext.
    public static func openSealed(_ kind: String, _ algorithm: PayloadAlgorithm) throws -> (name: String, plain: [UInt8]) {
        let file = "\(kind)-\(algorithms.first { $0.algorithm == algorithm }!.label).hex"
        let golden = try hex(file)
        guard let name = golden.name else { throw GoldenFileError(file: file, problem: "names no object") }
        return (name, try SealedObject.open(golden.bytes, name: name, algorithm: algorithm, masterKey: masterKey))
    }
}

public struct GoldenFileError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String
    public var description: String { "golden file \(file) \(problem)" }
}
