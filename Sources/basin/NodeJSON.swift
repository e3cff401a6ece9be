import BasinCore
import BasinSnapshots

/// An entry of a snapshot as `ls --json` and `find --json` show it (restic's field names).
struct NodeJSON: Encodable {
    let name: String
    let type: String
    let path: String
    let uid: UInt32
    let gid: UInt32
    let user: String
    let group: String
    let size: UInt64
    /// Permission, set-id and sticky bits (`st_mode & 07777`).
    let mode: UInt32
    let permissions: String
    let mtime: String
    let ctime: String
    let inode: UInt64
    let deviceId: UInt64
    let links: UInt64
    let linkTarget: String?
    /// A file's content key or a directory's subtree key (64 hex digits).
    let content: String?
    let structType = "node"

    init(_ node: SnapshotNode) {
        let entry = node.entry
        name = entry.displayName
        type = entry.type.description
        path = node.displayPath
        uid = entry.uid
        gid = entry.gid
        user = entry.userName
        group = entry.groupName
        size = entry.size
        mode = entry.mode
        permissions = entry.permissions
        mtime = Format.rfc3339(entry.modificationTime)
        ctime = Format.rfc3339(entry.changeTime)
        inode = entry.inode
        deviceId = entry.device
        links = entry.linkCount
        linkTarget = entry.type == .symlink ? Tree.display(entry.linkTarget) : nil
        content = entry.content?.hex
    }

    /// The `--long` line: permissions, owner, group, size, local mtime, path (and a link's target).
    static func longLine(_ node: SnapshotNode) -> String {
        let entry = node.entry
        let user = entry.userName.isEmpty ? String(entry.uid) : entry.userName
        let group = entry.groupName.isEmpty ? String(entry.gid) : entry.groupName
        let target = entry.type == .symlink ? " -> " + Tree.display(entry.linkTarget, escapingControls: true) : ""
        return "\(entry.permissions) \(pad(user, 8)) \(pad(group, 8)) \(pad(String(entry.size), 10)) "
            + "\(Format.localTime(entry.modificationTime)) \(node.displayLine)\(target)"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }
}
