extension BackupEngine {
    /// Points where tests step into a backup.
    package struct Hooks: Sendable {
        /// Called by the file saver once it has stored a file, while the file still counts as
        /// in flight, with the file's path: a test holds files here to see the bound on files
        /// in flight hold, or learns that a backup is under way before cancelling it.
        package var fileSaved: (@Sendable (SnapshotPath) async -> Void)?

        package init() {}
    }

    /// The most files the file savers had open at once so far.
    package var maxFilesInFlight: Int { state.withLock { $0.maxFilesInFlight } }
}
