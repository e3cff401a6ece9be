// Test hooks: run BLAKE3 on a chosen kernel so every supported kernel is checked, not only
// the one this CPU picks.

extension BLAKE3Kernel {
    /// The kernels this build and CPU can run, portable first.
    package static var supported: [BLAKE3Kernel] { allCases.filter(\.isSupported) }

    /// The kernel picked at run time.
    package static var selected: BLAKE3Kernel { best }
}

extension BLAKE3Hasher {
    /// This hasher, hashing whole chunks and parents with `kernel` (which must be supported).
    package func using(_ kernel: BLAKE3Kernel) -> BLAKE3Hasher {
        precondition(kernel.isSupported, "kernel \(kernel) is not supported here")
        var copy = self
        copy.kernel = kernel
        return copy
    }
}
