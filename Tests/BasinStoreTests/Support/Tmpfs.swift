import Foundation

/// Mounting a small tmpfs, to fill a real file system in tests (needs root).
enum Tmpfs {
    /// Whether this process can mount and unmount a tmpfs (checked once, on a scratch directory).
    static let isMountable: Bool = {
        let point = FileManager.default.temporaryDirectory
            .appendingPathComponent("basin-mount-probe-\(UUID().uuidString)").path
        guard (try? FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)) != nil
        else { return false }
        defer { try? FileManager.default.removeItem(atPath: point) }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", point]) else { return false }
        return run("/bin/umount", [point])
    }()

    /// Mounts a tmpfs of `size` (`1m`) on the existing directory `point`.
    static func mount(_ point: String, size: String) throws {
        guard run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", point]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: point])
        }
    }

    /// Unmounts `point`.
    @discardableResult
    static func unmount(_ point: String) -> Bool {
        run("/bin/umount", [point])
    }

    private static func run(_ executable: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
