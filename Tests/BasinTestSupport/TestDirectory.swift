import Foundation

/// A fresh directory under the system's temporary directory, removed with everything in it
/// (whatever its names and modes) when the value is dropped.
public final class TestDirectory: Sendable {
    public let path: String

    public init(_ label: String = "test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("basin-\(label)-\(UUID().uuidString)").path
        try TestFileSystem.makeDirectory(Array(path.utf8), mode: 0o755)
    }

    public var bytes: [UInt8] { Array(path.utf8) }

    /// A path inside this directory.
    public func path(_ name: String) -> String { path + "/" + name }

    deinit { try? TestFileSystem.removeTree(bytes) }
}
