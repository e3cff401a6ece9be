import BasinBackend

extension MemoryBackend {
    /// The committed objects, by name: what a crash at this instant would leave. Uploads not
    /// yet committed are not part of it.
    package func snapshot() -> [String: [UInt8]] {
        objects.withLock { $0 }
    }

    /// Replaces every object with `contents` (typically an earlier ``snapshot()``).
    package func restore(_ contents: [String: [UInt8]]) {
        objects.withLock { $0 = contents }
    }
}
