extension Basin {
    /// Counts of what a process added: new grains (not deduplicated ones) and committed strata.
    public struct WriteStatistics: Sendable, Equatable {
        public var grains = 0
        /// Plaintext bytes of the new grains.
        public var plainBytes: Int64 = 0
        public var strata = 0
        /// Bytes of the committed strata as stored.
        public var storedBytes: Int64 = 0

        static func + (lhs: Self, rhs: Self) -> Self {
            Self(grains: lhs.grains + rhs.grains, plainBytes: lhs.plainBytes + rhs.plainBytes,
                 strata: lhs.strata + rhs.strata, storedBytes: lhs.storedBytes + rhs.storedBytes)
        }
    }
}
