import Dispatch

/// Runs blocking system calls (fsync, large reads and writes) on a dispatch queue of their
/// own, so they do not hold one of the few threads of Swift's cooperative pool (two on a
/// two-core machine) while the disk works.
public enum BlockingIO {
    private static let queue = DispatchQueue(label: "basin.blocking-io", attributes: .concurrent)

    /// Runs `work` on the blocking-I/O queue and returns its result.
    public static func run<T: Sendable, E: Error>(
        _ work: @escaping @Sendable () throws(E) -> T
    ) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(E) in try work() })
            }
        }
        return try result.get()
    }
}
