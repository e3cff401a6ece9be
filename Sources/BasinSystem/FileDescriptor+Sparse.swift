import SystemPackage

extension FileDescriptor {
    /// Writes `bytes` at file offset `offset`, skipping every whole block of zeros (`blockSize`
    /// bytes aligned in the file) so that it stays a hole in a new file. A hole at the end needs
    /// ``setSize(_:)`` to exist. Safe from several tasks at once (`pwrite` only).
    public func writeSparse(_ bytes: [UInt8], at offset: Int64, blockSize: Int) throws(SystemError) {
        var start = 0
        while start < bytes.count {
            // Runs of whole zero blocks and of anything else, ending at block boundaries.
            var end = start
            var isHole = false
            while end < bytes.count {
                let boundary = Int((offset + Int64(end)) % Int64(blockSize))
                let blockEnd = min(bytes.count, end + blockSize - boundary)
                let zeroBlock = boundary == 0 && blockEnd - end == blockSize && bytes[end..<blockEnd].allSatisfy { $0 == 0 }
                if end > start && zeroBlock != isHole { break }
                isHole = zeroBlock
                end = blockEnd
            }
            if !isHole { try write(bytes[start..<end], at: offset + Int64(start)) }
            start = end
        }
    }
}
