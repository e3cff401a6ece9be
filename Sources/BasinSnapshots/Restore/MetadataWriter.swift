import BasinCore
import Glibc
import SystemPackage

/// Applies an entry's recorded metadata to what restore created, in the order that keeps it:
/// owner first (chown clears set-id bits and file capabilities), then extended attributes,
/// then the mode (set-id and sticky bits included), then the times (last, since the other
/// changes do not touch the modification time but a later write would).
struct MetadataWriter: Sendable {
    /// What went wrong: warnings are reported, a failure marks the entry as not restored faithfully.
    struct Outcome {
        var warnings: [String] = []
        var failure: String?

        mutating func fail(_ step: String, _ error: Errno) {
            if failure == nil { failure = "cannot \(step): \(error)" }
        }
    }

    let restoreOwnership: Bool

    /// For files and directories, through an open descriptor.
    func apply(_ entry: TreeEntry, to fd: CInt, display: String) -> Outcome {
        var outcome = Outcome()
        if restoreOwnership, let error = SystemCalls.changeOwner(fd, uid: entry.uid, gid: entry.gid) {
            outcome.fail("set owner \(entry.uid):\(entry.gid)", error)
        }
        for attribute in entry.extendedAttributes {
            if let error = SystemCalls.setExtendedAttribute(fd, name: attribute.name, value: attribute.value) {
                outcome.warnings.append(Self.attributeWarning(display, attribute, error))
            }
        }
        if let error = SystemCalls.changeMode(fd, mode_t(entry.mode & 0o7777)) {
            outcome.fail("set mode \(String(entry.mode, radix: 8))", error)
        }
        if let error = SystemCalls.setTimes(fd, entry.modificationTime) { outcome.fail("set times", error) }
        return outcome
    }

    /// For symlinks, fifos and devices, by name in their directory (never following a symlink).
    /// - Parameter path: the entry's full path, for extended attributes (Linux has no `*at`
    ///   call for them); its directories were all created by this restore.
    func apply(_ entry: TreeEntry, in directory: CInt, name: [UInt8], path: [UInt8], display: String) -> Outcome {
        var outcome = Outcome()
        if restoreOwnership, let error = SystemCalls.changeOwner(in: directory, name, uid: entry.uid, gid: entry.gid) {
            outcome.fail("set owner \(entry.uid):\(entry.gid)", error)
        }
        for attribute in entry.extendedAttributes {
            if let error = SystemCalls.setExtendedAttribute(path: path, name: attribute.name, value: attribute.value) {
                outcome.warnings.append(Self.attributeWarning(display, attribute, error))
            }
        }
        if entry.type != .symlink, let error = SystemCalls.changeMode(in: directory, name, mode_t(entry.mode & 0o7777)) {
            outcome.fail("set mode \(String(entry.mode, radix: 8))", error)
        }
        if let error = SystemCalls.setTimes(in: directory, name, entry.modificationTime) { outcome.fail("set times", error) }
        return outcome
    }

    private static func attributeWarning(_ display: String, _ attribute: TreeEntry.ExtendedAttribute, _ error: Errno) -> String {
        "\(display): cannot set extended attribute \(Tree.display(attribute.name)): \(error)"
    }
}
