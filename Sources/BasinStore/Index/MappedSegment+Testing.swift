/// Hooks for benchmarks and tests: where the mapping lies, to read its residency from /proc.
extension MappedSegment {
    /// The address of the file mapping, or nil when the segment is held in heap memory.
    package var _mappedAddress: UInt? {
        memory.isMapped ? memory.bytes.baseAddress.map { UInt(bitPattern: $0) } : nil
    }
}
