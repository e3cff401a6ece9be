import BasinBackend
import BasinCore
import BasinStore
import BasinSystem
import SystemPackage

/// What a restore will do, found before it writes anything: the totals for progress, and
/// the entries that already exist in the target.
struct RestorePlan {
    var files = 0
    var bytes: Int64 = 0
    /// The first few conflicting paths, relative to the target.
    var conflicts: [[UInt8]] = []
    var conflictCount = 0

    mutating func conflict(_ relative: [UInt8]) {
        conflictCount += 1
        if conflicts.count < 10 { conflicts.append(relative) }
    }
}

extension RestoreEngine {
    /// Walks what will be restored. Only directories that exist in the target are looked at
    /// there, so planning a restore into a new directory reads nothing but trees (which the
    /// loader keeps for the restore itself).
    func plan(_ start: TreeEntry, subpath: [[UInt8]], target: FileDescriptor?, selection: RestoreSelection,
              loader: TreeLoader) async throws(BasinError) -> RestorePlan {
        var planner = Planner(target: target, selection: selection, loader: loader)
        if start.type == .directory {
            _ = await planner.visit(try await loader.entries(of: start), path: subpath, relative: [],
                                    targetExists: target != nil, ancestorSelected: false)
        } else {
            _ = await planner.visit([start], path: Array(subpath.dropLast()), relative: [], targetExists: target != nil,
                                    ancestorSelected: false)
        }
        return planner.plan
    }

    private struct Planner {
        let target: FileDescriptor?
        let selection: RestoreSelection
        let loader: TreeLoader
        var plan = RestorePlan()
        var linked = Set<InodeID>()

        /// - Returns: whether anything in `entries` is selected.
        mutating func visit(_ entries: [TreeEntry], path: [[UInt8]], relative: [UInt8], targetExists: Bool,
                            ancestorSelected: Bool) async -> Bool {
            var any = false
            for entry in entries {
                let entryPath = path + [entry.name]
                let isDirectory = entry.type == .directory
                let decision = selection.decide(entryPath, isDirectory: isDirectory, ancestorSelected: ancestorSelected)
                if decision == .skip { continue }
                let entryRelative = RestoreRun.join(relative, entry.name)
                var existing: Stat?
                if targetExists, let target { existing = try? target.status(of: entryRelative) }
                if isDirectory {
                    // An unreadable tree is reported by the restore itself.
                    let children = (try? await loader.entries(of: entry)) ?? []
                    let inside = await visit(children, path: entryPath, relative: entryRelative,
                                             targetExists: existing?.type == .directory, ancestorSelected: decision == .restore)
                    let created = decision == .restore || inside
                    if created, let existing, existing.type != .directory { plan.conflict(entryRelative) }
                    any = any || created
                    continue
                }
                any = true
                if existing != nil { plan.conflict(entryRelative) }
                guard entry.type == .file else { continue }
                if let id = InodeID(entry), !linked.insert(id).inserted { continue }
                plan.files += 1
                plan.bytes += Int64(clamping: entry.size)
            }
            return any
        }
    }
}
