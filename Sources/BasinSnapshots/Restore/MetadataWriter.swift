import BasinCore
import BasinSystem
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

        /// Runs one step; the first step to fail is the entry's failure.
        mutating func attempt(_ step: @autoclosure () -> String, _ call: () throws(SystemError) -> Void) {
            do throws(SystemError) {
                try call()
            } catch {
                if failure == nil { failure = "cannot \(step()): \(error.errno)" }
            }
        }

        /// Sets the extended attributes one by one: one that cannot be set is a warning.
        mutating func setAttributes(of entry: TreeEntry, display: String,
                                    _ set: (TreeEntry.ExtendedAttribute) throws(SystemError) -> Void) {
            for attribute in entry.extendedAttributes {
                do throws(SystemError) {
                    try set(attribute)
                } catch {
                    warnings.append("\(display): cannot set extended attribute \(Tree.display(attribute.name)): \(error.errno)")
                }
            }
        }
    }

    let restoreOwnership: Bool

    /// For files and directories, through an open descriptor.
    func apply(_ entry: TreeEntry, to fd: FileDescriptor, display: String) -> Outcome {
        var outcome = Outcome()
        if restoreOwnership {
            outcome.attempt("set owner \(entry.uid):\(entry.gid)") { () throws(SystemError) in try fd.changeOwner(uid: entry.uid, gid: entry.gid) }
        }
        outcome.setAttributes(of: entry, display: display) { attribute throws(SystemError) in
            try fd.setExtendedAttribute(attribute.name, value: attribute.value)
        }
        outcome.attempt("set mode \(String(entry.mode, radix: 8))") { () throws(SystemError) in try fd.changeMode(Self.permissions(entry)) }
        outcome.attempt("set times") { () throws(SystemError) in try fd.setTimes(Self.time(entry)) }
        return outcome
    }

    /// For symlinks, fifos and devices, by name in their directory (never following a symlink).
    /// - Parameter path: the entry's full path, for extended attributes (Linux has no `*at`
    ///   call for them); its directories were all created by this restore.
    func apply(_ entry: TreeEntry, in directory: FileDescriptor, name: [UInt8], path: [UInt8], display: String) -> Outcome {
        var outcome = Outcome()
        if restoreOwnership {
            outcome.attempt("set owner \(entry.uid):\(entry.gid)") { () throws(SystemError) in
                try directory.changeOwner(of: name, uid: entry.uid, gid: entry.gid)
            }
        }
        outcome.setAttributes(of: entry, display: display) { attribute throws(SystemError) in
            try ExtendedAttributes.set(path: path, name: attribute.name, value: attribute.value)
        }
        if entry.type != .symlink {
            outcome.attempt("set mode \(String(entry.mode, radix: 8))") { () throws(SystemError) in
                try directory.changeMode(of: name, permissions: Self.permissions(entry))
            }
        }
        outcome.attempt("set times") { () throws(SystemError) in try directory.setTimes(of: name, Self.time(entry)) }
        return outcome
    }

    /// Permission, set-id and sticky bits.
    private static func permissions(_ entry: TreeEntry) -> FilePermissions {
        FilePermissions(rawValue: mode_t(entry.mode & 0o7777))
    }

    /// The modification time, which restore also gives as the access time (the tree keeps none).
    private static func time(_ entry: TreeEntry) -> timespec {
        timespec(tv_sec: Int(entry.modificationTime.seconds), tv_nsec: Int(entry.modificationTime.nanoseconds))
    }
}
