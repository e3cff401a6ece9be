import BasinCore

extension BackupEngine {
    /// A tree entry from a file's status (content and link target filled in by the caller).
    func makeEntry(name: [UInt8], status: FileStatus, path: SnapshotPath) -> TreeEntry {
        TreeEntry(name: name, type: status.type ?? .file, mode: status.mode, uid: status.uid, gid: status.gid,
                  userName: accounts.user(status.uid), groupName: accounts.group(status.gid),
                  modificationTime: status.modificationTime, changeTime: status.changeTime,
                  size: status.type == .file ? status.size : 0, inode: status.inode, device: status.device,
                  linkCount: status.linkCount,
                  deviceNumber: status.type == .characterDevice || status.type == .blockDevice ? status.deviceNumber : 0,
                  extendedAttributes: status.type == .symlink ? [] : FileSystem.extendedAttributes(path: path.bytes))
    }

    /// Whether a file's parent-snapshot entry can stand for it without reading it.
    static func unchanged(_ previous: TreeEntry, _ status: FileStatus) -> Bool {
        previous.type == .file && previous.size == status.size && previous.modificationTime == status.modificationTime
            && previous.changeTime == status.changeTime && previous.inode == status.inode
            && (previous.content != nil || status.size == 0)
    }

    func warn(_ message: String) {
        state.withLock { $0.warnings.append(message) }
    }
}
