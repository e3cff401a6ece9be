import Glibc

/// The CPU features the BLAKE3 kernels need, read once from Linux's /proc/cpuinfo (which lists
/// a feature only when the kernel also saves the feature's registers on context switches).
struct CPUFeatures: Sendable {
    var avx2 = false
    var avx512 = false

    static let current = CPUFeatures.detect()

    private static func detect() -> CPUFeatures {
        #if arch(x86_64)
        let flags = Set(cpuinfoFlags())
        return CPUFeatures(avx2: flags.contains("avx2"),
                           avx512: flags.contains("avx512f") && flags.contains("avx512vl"))
        #else
        return CPUFeatures()
        #endif
    }

    /// The words of the first `flags` line of /proc/cpuinfo, or none if it cannot be read.
    private static func cpuinfoFlags() -> [Substring] {
        let descriptor = open("/proc/cpuinfo", O_RDONLY)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        // The first processor's block, which holds its flags, is a few KiB.
        var text = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 16384)
        while text.count < 1 << 20 {
            // SAFETY: read writes at most buffer.count bytes into the buffer it is given.
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            text += buffer[0..<got]
            // Only whole lines: the flags line may still be cut at the end of this read.
            if let end = text.lastIndex(of: UInt8(ascii: "\n")), let words = flagsLine(text[..<end]) {
                return words
            }
        }
        return flagsLine(text[...]) ?? []
    }

    private static func flagsLine(_ text: ArraySlice<UInt8>) -> [Substring]? {
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].split(separator: " ")
        }
        return nil
    }
}
