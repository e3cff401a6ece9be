import BasinBackend
import BasinCore
import BasinStore
import BasinSystem
import SystemPackage

/// Restores a snapshot, or a path inside one, into a directory.
///
/// Content is streamed from the basin chunk by chunk (ranged reads of only the grains
/// needed), several files at a time, so memory stays bounded whatever the file sizes. Every
/// entry is created relative to an open directory without following symlinks, and nothing
/// that exists is replaced unless `overwrite` is set: restore first checks the target and
/// refuses to start when any entry it would write exists.
///
/// A file whose content cannot be read (a damaged or missing grain) is reported in the
/// result's `failures`, naming the file and the key, and removed; the rest is restored.
public struct RestoreEngine: Sendable {
    public let repository: SnapshotRepository
    public var options: RestoreOptions
    package var hooks = Hooks()

    public init(repository: SnapshotRepository, options: RestoreOptions = RestoreOptions()) {
        self.repository = repository
        self.options = options
    }

    /// Restores `subpath` of `snapshot` into `target`.
    ///
    /// A directory's contents go into `target`; any other entry goes into `target` under its
    /// name. Restoring the whole snapshot gives the absolute paths that were backed up below
    /// `target` (`target/home/u/docs/…`). `target` is created when missing, and then gets the
    /// restored directory's metadata.
    ///
    /// - Parameters:
    ///   - subpath: components of a path in the snapshot; empty for the whole snapshot.
    ///   - target: the directory to restore into, as path bytes.
    ///   - progress: called (from any thread) as files and bytes are written.
    /// - Returns: what was restored, and the entries that could not be.
    /// - Throws: `.notFound` when `subpath` is not in the snapshot; `.invalidArgument` when
    ///   `target` is not a directory; `.alreadyExists`, before anything is written, when an
    ///   entry to restore exists and `overwrite` is off; a basin error when the snapshot's
    ///   trees cannot be read at the start.
    public func restore(_ snapshot: Snapshot, subpath: [[UInt8]] = [], into target: [UInt8],
                        progress: (@Sendable (RestoreProgress) -> Void)? = nil) async throws(BasinError) -> RestoreReport {
        let start = try await repository.entry(at: subpath, in: snapshot)
        let loader = TreeLoader(repository: repository)
        let selection = RestoreSelection(includes: options.includes, excludes: options.excludes)
        let display = Tree.display(target)
        let existing: FileDescriptor?
        do throws(SystemError) {
            existing = try Self.openTarget(target)
        } catch where error.errno == .noSuchFileOrDirectory {
            existing = nil
        } catch where error.errno == .notDirectory {
            throw BasinError(.invalidArgument, "the target \(display) exists and is not a directory")
        } catch {
            throw BasinError(.unavailable, "cannot open the target \(display): \(error.errno)")
        }
        if start.type == .directory { await loader.preload(start) }
        let plan: RestorePlan
        do throws(BasinError) {
            plan = try await self.plan(start, subpath: subpath, target: existing, selection: selection, loader: loader)
        } catch {
            if let existing { try? existing.closeOnce() }
            throw error
        }
        if !plan.conflicts.isEmpty, !options.overwrite {
            if let existing { try? existing.closeOnce() }
            let shown = plan.conflicts.prefix(3).map { display + "/" + Tree.display($0) }.joined(separator: ", ")
            let more = plan.conflictCount > 3 ? " and \(plan.conflictCount - 3) more" : ""
            throw BasinError(.alreadyExists, "restore would overwrite \(shown)\(more); nothing was restored (use --overwrite to replace existing files)")
        }
        let rootFD: FileDescriptor
        if let existing {
            rootFD = existing
        } else {
            rootFD = try Self.createTarget(target)
        }
        defer { try? rootFD.closeOnce() }
        let tracker = RestoreProgressTracker(filesTotal: plan.files, bytesTotal: plan.bytes, observer: progress)
        let run = RestoreRun(engine: self, rootFD: rootFD, target: target, selection: selection, loader: loader, tracker: tracker)
        // The target gets the restored directory's metadata only when restore created it.
        let rootEntry = existing == nil && !subpath.isEmpty && start.type == .directory ? start : nil
        return await run.run(start, subpath: subpath, rootEntry: rootEntry)
    }

    /// Splits a path in a snapshot (`/home/u/docs`, or without the leading slash) into components.
    public static func components(of path: [UInt8]) -> [[UInt8]] {
        path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { Array($0) }
    }

    /// Creates the missing target (and its parents, as `mkdir -p` does) and opens it.
    private static func createTarget(_ target: [UInt8]) throws(BasinError) -> FileDescriptor {
        let display = Tree.display(target)
        let slash = UInt8(ascii: "/")
        let parts = components(of: target)
        var prefix: [UInt8] = target.first == slash ? [slash] : []
        for (index, component) in parts.enumerated() {
            if index > 0 { prefix.append(slash) }
            prefix += component
            // The target stays private until restore applies its mode at the end.
            let permissions: FilePermissions = index == parts.count - 1 ? .ownerReadWriteExecute : [.ownerReadWriteExecute, .groupReadExecute, .otherReadExecute]
            do throws(SystemError) {
                try FileDescriptor.currentDirectory.makeDirectory(prefix, permissions: permissions)
            } catch where error.errno == .fileExists {
                continue
            } catch {
                throw BasinError(error.errno == .noSpace ? .noSpace : .unavailable, "cannot create the target \(display): \(error.errno)")
            }
        }
        do throws(SystemError) {
            return try openTarget(target)
        } catch {
            throw BasinError(.unavailable, "cannot open the target \(display): \(error.errno)")
        }
    }

    /// Opens the target directory by path (following symlinks: the target given by the user).
    private static func openTarget(_ target: [UInt8]) throws(SystemError) -> FileDescriptor {
        try FileDescriptor.currentDirectory.open(target, .readOnly, options: .directory)
    }
}
