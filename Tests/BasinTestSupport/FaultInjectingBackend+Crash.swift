import BasinBackend

extension FaultInjectingBackend {
    /// The operations that change a backend: the moments a crash schedule kills a process at.
    public static let mutations: Set<Operation> = [.write, .beginWrite, .commit, .delete]

    /// How many mutations went through this backend (a counting run sizes a crash schedule).
    public var mutationCount: Int { calls(.write, .beginWrite, .commit, .delete) }

    /// Behaves from now on as a process killed at mutation `point` (counted from 0): before it
    /// takes effect, or just after it, and then nothing more reaches the backend.
    public func injectCrash(atMutation point: Int, takesEffect: Bool) {
        if takesEffect {
            inject(.init(.failAfter(.unavailable, "killed"), on: Self.mutations, skip: point, times: 1))
            inject(.init(.fail(.unavailable, "process gone"), on: Self.mutations, skip: point + 1))
        } else {
            inject(.init(.fail(.unavailable, "killed"), on: Self.mutations, skip: point))
        }
    }
}
