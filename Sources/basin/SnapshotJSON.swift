import BasinSnapshots

/// A snapshot as `--json` output shows it (restic's field names).
struct SnapshotJSON: Encodable {
    let id: String
    let shortId: String
    let time: String
    let hostname: String
    let username: String
    let paths: [String]
    let tags: [String]
    let parent: String?
    let tree: String
    let excludes: [String]
    let summary: SnapshotRecord.Summary?
    let programVersion: String
    /// "snapshot", so lines of `ls --json` tell snapshots from nodes.
    let structType: String?

    init(_ snapshot: Snapshot, structType: String? = nil) {
        let record = snapshot.record
        id = snapshot.id.hex
        shortId = snapshot.shortID
        time = record.time
        hostname = record.hostname
        username = record.username
        paths = record.paths
        tags = record.tags
        parent = record.parent
        tree = record.tree
        excludes = record.excludes
        summary = record.summary
        programVersion = record.programVersion
        self.structType = structType
    }
}
