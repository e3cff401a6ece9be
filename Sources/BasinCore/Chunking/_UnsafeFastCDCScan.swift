extension FastCDC {
    /// Hashes on from `state.position` towards `limit`, looking for a cut point.
    ///
    /// The inner loops read raw pointers: this is the hot path of every backup (per byte: a load
    /// of the byte, one of its gear value, a shift-and-add and a test).
    /// - Parameters:
    ///   - bytes: The chunk so far, from its start.
    ///   - limit: Scan bytes before this index; at most `bytes.count` and `maxSize`.
    ///   - state: Where the previous scan of this chunk stopped; updated when none is found.
    /// - Returns: The chunk's length if a cut point lies before `limit`, else nil.
    func scan(_ bytes: UnsafeRawBufferPointer, limit: Int, state: inout ScanState) -> Int? {
        precondition(limit <= bytes.count && limit <= parameters.maxSize && state.position >= parameters.minSize)
        guard state.position < limit, let base = bytes.baseAddress else { return nil }
        let normalEnd = min(limit, parameters.averageSize)
        return FastCDC.gear.withUnsafeBufferPointer { table -> Int? in
            // SAFETY: `table` holds 256 values and is indexed by a UInt8, so always in bounds.
            // Every byte index `i` read below satisfies `state.position <= i < limit <= bytes.count`.
            let gear = table.baseAddress.unsafelyUnwrapped
            let data = base.assumingMemoryBound(to: UInt8.self)
            var hash = state.hash
            var i = state.position
            if let cut = Self.scanRun(data, gear, from: &i, to: normalEnd, mask: maskS, hash: &hash) { return cut }
            if let cut = Self.scanRun(data, gear, from: &i, to: limit, mask: maskL, hash: &hash) { return cut }
            state.position = i
            state.hash = hash
            return nil
        }
    }

    /// One mask's run of the scan, rolling two bytes per step as in the 2020 paper.
    ///
    /// Byte by byte, `h = 2h + g` costs two dependent additions per byte. Per pair of bytes,
    /// `h₂ = 4h + (2g₀ + g₁)` puts the pair's sum off the dependency chain, and the middle value
    /// `h₁ = 2h + g₀` is only checked, never carried: ~25 % faster, identical cut points.
    /// - Returns: The chunk length at the first cut point in `index..<end`, else nil with `index`
    ///   advanced to `end` (left as is when already at or past it).
    @inline(__always)
    private static func scanRun(
        _ data: UnsafePointer<UInt8>, _ gear: UnsafePointer<UInt64>,
        from index: inout Int, to end: Int, mask: UInt64, hash: inout UInt64
    ) -> Int? {
        // SAFETY: reads `data[i]` only for `index <= i < end`; the caller guarantees `end` is
        // within the buffer. `gear` has 256 entries and is indexed by a byte.
        var i = index
        var h = hash
        while i &+ 2 <= end {
            let g0 = gear[Int(data[i])]
            let g1 = gear[Int(data[i &+ 1])]
            let middle = (h &<< 1) &+ g0
            h = (h &<< 2) &+ ((g0 &<< 1) &+ g1)
            if middle & mask == 0 { return i &+ 1 }
            if h & mask == 0 { return i &+ 2 }
            i &+= 2
        }
        if i < end {
            h = (h &<< 1) &+ gear[Int(data[i])]
            i &+= 1
            if h & mask == 0 { return i }
        }
        index = i
        hash = h
        return nil
    }
}
