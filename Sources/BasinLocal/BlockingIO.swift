import BasinBackend
import Dispatch

/// Runs blocking system calls (fsync, large reads and writes) on a dispatch queue of their
/// own, so they do not hold one of the few threads of Swift's cooperative pool (two on a
/// two-core machine) while the disk works.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "basin.blocking-io", attributes: .concurrent)

    /// Runs `work` on the blocking-I/O queue and returns its result.
    static func run<T: Sendable>(
        _ work: @escaping @Sendable () throws(BasinError) -> T
    ) async throws(BasinError) -> T {
        let result: Result<T, BasinError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(BasinError) in try work() })
            }
        }
        return try result.get()
    }
}
