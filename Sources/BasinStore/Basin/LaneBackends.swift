import BasinBackend
import BasinCore

/// Where each lane's strata live: the `data` lane may be on a backend of its own (a cold
/// store), the `meta` and `index` lanes are with the basin.
struct LaneBackends: Sendable {
    /// The basin's backend: config, keys, meta and index lanes, refs, locks.
    let main: any Backend
    /// The data lane's backend: `main` unless the config places the lane elsewhere.
    let data: any Backend

    func backend(for lane: Lane) -> any Backend { lane == .data ? data : main }
}
