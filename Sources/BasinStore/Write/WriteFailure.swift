import BasinBackend
import Synchronization

/// The first failed commit of a group of writers (a basin's data and meta lanes, or one
/// repack): once set, they refuse further writes and every caller gets this error. A failed
/// write, fsync or rename is never retried silently.
final class WriteFailure: Sendable {
    private let first = Mutex<BasinError?>(nil)

    var error: BasinError? { first.withLock { $0 } }

    /// Keeps `error` unless a failure came first.
    func record(_ error: BasinError) {
        first.withLock { if $0 == nil { $0 = error } }
    }

    /// - Throws: the recorded failure, if any.
    func check() throws(BasinError) {
        if let error { throw error }
    }
}
