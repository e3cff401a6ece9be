import CLinuxSys
import Glibc

/// What Basin asks of the process it runs in.
public enum CurrentProcess {
    /// Whether the effective user is root (who alone may restore owners and devices).
    public static var isRoot: Bool { geteuid() == 0 }

    /// Raises the soft limit on open files to the hard one (as Go's runtime does for restic),
    /// at most 2^20, and returns the soft limit in force.
    public static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(CInt(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(CInt(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    /// Has glibc serve allocations up to `bytes` from the heap rather than mapping (and
    /// unmapping) each afresh, and keep that much free heap before trimming it.
    public static func keepAllocationsInHeap(upTo bytes: Int32) {
        _ = mallopt(M_MMAP_THRESHOLD, bytes)
        _ = mallopt(M_TRIM_THRESHOLD, bytes)
    }
}
