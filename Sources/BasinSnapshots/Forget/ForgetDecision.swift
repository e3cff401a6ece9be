/// What a ``ForgetPolicy`` decided for one group of snapshots.
public struct ForgetDecision: Sendable, Equatable {
    /// A kept snapshot and every rule that kept it.
    public struct Kept: Sendable, Equatable {
        public let snapshot: Snapshot
        public let reasons: [String]

        public init(snapshot: Snapshot, reasons: [String]) {
            self.snapshot = snapshot
            self.reasons = reasons
        }
    }

    /// Newest first.
    public var keep: [Kept]
    /// Newest first.
    public var remove: [Snapshot]

    public init(keep: [Kept], remove: [Snapshot]) {
        self.keep = keep
        self.remove = remove
    }
}
