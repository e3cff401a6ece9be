/// Test hooks: re-sign a deliberately altered segment so a test can reach the check behind a
/// checksum.
extension IndexSegmentCodec {
    /// Rewrites the header checksum (bytes 32..<36) to match bytes 0..<32.
    package static func _restampHeaderChecksum(_ segment: inout [UInt8]) {
        stamp(SegmentChecksum.of(Array(segment[0..<32])), into: &segment, at: 32)
    }

    /// Rewrites the trailer checksum to match the bytes between the header and the trailer.
    package static func _restampTrailerChecksum(_ segment: inout [UInt8]) {
        let trailer = segment.count - trailerSize
        stamp(SegmentChecksum.of(Array(segment[headerSize..<trailer])), into: &segment, at: trailer)
    }

    private static func stamp(_ value: UInt32, into segment: inout [UInt8], at offset: Int) {
        for index in 0..<4 { segment[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }
}
