import ArgumentParser
import BasinCore
import Glibc

/// `basin hash`: BLAKE3 sums of files, printed exactly as `b3sum` 1.2.0 prints them.
struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print BLAKE3 hashes of files (the output of b3sum).",
        discussion: """
            Each line is the hex hash, two spaces and the file name. A name holding a backslash \
            or a newline is escaped (\\\\ and \\n) and its line starts with a backslash.
            """
    )

    @Flag(help: "Use the keyed mode: the secret key is read from standard input, exactly 32 raw bytes.")
    var keyed = false

    @Option(name: .customLong("derive-key"), help: ArgumentHelp("Use the key derivation mode, with this context string.", valueName: "context"))
    var deriveKey: String?

    @Option(name: [.customShort("l"), .long], help: "Output bytes, before hex encoding.")
    var length = BLAKE3.outputByteCount

    @Option(name: .customLong("num-threads"), help: "The most threads to use per file (default, or 0: one per core).")
    var numThreads: Int?

    @Flag(name: .customLong("no-names"), help: "Print only the hashes, without file names.")
    var noNames = false

    @Argument(help: "Files to hash; standard input when none is given, or for '-'.")
    var files: [String] = []

    func validate() throws {
        if keyed && deriveKey != nil {
            throw ValidationError("--keyed cannot be used with --derive-key.")
        }
        if keyed && files.isEmpty {
            throw ValidationError("--keyed needs at least one file: standard input holds the key.")
        }
        if length < 0 {
            throw ValidationError("--length must be 0 or more.")
        }
        if let numThreads, numThreads < 0 {
            throw ValidationError("--num-threads must be 0 or more.")
        }
    }

    func run() throws {
        let start = try makeHasher()
        let threads = numThreads.flatMap { $0 > 0 ? $0 : nil } ?? Self.coreCount
        var failed = false
        for name in files.isEmpty ? ["-"] : files {
            do {
                var hasher = start
                if name == "-" {
                    if keyed { throw InputError.stdinInKeyedMode }
                    try InputFile.standardInput.hash(into: &hasher)
                } else {
                    try InputFile(opening: CommandLineBytes.path(for: name)).hash(into: &hasher, threads: threads)
                }
                printLine(hex: Self.hex(hasher.finalize(length: length)), name: name)
            } catch {
                failed = true
                StandardStreams.printError("basin: \(name): \(error)")
            }
        }
        if failed { throw ExitCode.failure }
    }

    private func makeHasher() throws -> BLAKE3Hasher {
        if keyed { return BLAKE3Hasher(key: try Self.readKey()) }
        if let deriveKey { return BLAKE3Hasher(deriveKeyContext: deriveKey) }
        return BLAKE3Hasher()
    }

    private func printLine(hex: String, name: String) {
        StandardStreams.printOutput(noNames ? hex : Self.line(hex: hex, name: name))
    }

    /// b3sum's line: `HEX  NAME`; a name holding a backslash or a newline has them escaped
    /// (`\\`, `\n`) and the line starts with a backslash.
    static func line(hex: String, name: String) -> String {
        var escaped = ""
        var isEscaped = false
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"; isEscaped = true
            case "\n": escaped += "\\n"; isEscaped = true
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return "\(isEscaped ? "\\" : "")\(hex)  \(escaped)"
    }

    /// Exactly 32 bytes from standard input, as b3sum reads its key.
    private static func readKey() throws -> [UInt8] {
        let key = try InputFile.standardInput.readPrefix(BLAKE3.keyByteCount + 1)
        guard key.count == BLAKE3.keyByteCount else { throw InputError.badKeyLength(key.count) }
        return key
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 * bytes.count)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static var coreCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
