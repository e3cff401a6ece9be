import BLAKE3AVX2
import BLAKE3AVX512

/// The code that compresses many whole chunks or parents at once. The SIMD kernels live in
/// their own targets, compiled with ISA flags; the best one the CPU runs is picked once at
/// run time, so one binary runs on any x86-64 (and any other CPU, on the portable kernel).
package enum BLAKE3Kernel: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Scalar compressions, one chunk at a time; runs everywhere.
    case portable
    /// 8 lanes, for x86-64 CPUs with AVX2.
    case avx2
    /// 16 lanes, for x86-64 CPUs with AVX-512F and AVX-512VL.
    case avx512

    /// The fastest kernel this build and this CPU support.
    static let best: BLAKE3Kernel = allCases.last(where: \.isSupported) ?? .portable

    /// Whether this build contains the kernel and this CPU can run it.
    package var isSupported: Bool {
        switch self {
        case .portable: true
        case .avx2: BLAKE3AVX2Kernel.isCompiled && CPUFeatures.current.avx2
        case .avx512: BLAKE3AVX512Kernel.isCompiled && CPUFeatures.current.avx512
        }
    }

    /// Inputs hashed side by side.
    var laneCount: Int {
        switch self {
        case .portable: 1
        case .avx2: BLAKE3AVX2Kernel.laneCount
        case .avx512: BLAKE3AVX512Kernel.laneCount
        }
    }

    package var description: String { rawValue }
}
