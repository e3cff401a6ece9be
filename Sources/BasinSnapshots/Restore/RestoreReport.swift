import BasinBackend
import BasinStore

/// What a restore did, and what it could not do.
public struct RestoreReport: Sendable, Codable, Equatable {
    /// An entry that could not be restored (or failed verification).
    public struct Failure: Sendable, Codable, Equatable, CustomStringConvertible {
        /// The path in the target, for display (non-UTF-8 bytes as `\xNN`).
        public var path: String
        public var message: String
        /// The error code, as `BasinError.Code`'s raw value (`corrupted` for damaged data).
        public var code: String

        public init(path: String, message: String, code: BasinError.Code) {
            self.path = path
            self.message = message
            self.code = code.rawValue
        }

        public var description: String { "\(path): \(message)" }
    }

    /// Regular files written (hard links not counted).
    public var files = 0
    public var directories = 0
    public var symlinks = 0
    public var hardLinks = 0
    /// Fifos and devices.
    public var specialFiles = 0
    /// Bytes of file content written.
    public var bytes: Int64 = 0
    /// Files re-read and found to match their key (with `verify`).
    public var verifiedFiles = 0
    /// Entries not restored on purpose (sockets; devices without root), and metadata that
    /// could not be set (an extended attribute the file system refuses).
    public var warnings: [String] = []
    public var failures: [Failure] = []

    public init() {}

    /// True when every selected entry was restored.
    public var isComplete: Bool { failures.isEmpty }
}
