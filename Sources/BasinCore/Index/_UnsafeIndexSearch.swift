/// Pointer-level reads of an index segment's entries region, and the key search over it.
///
/// Every function takes the entries region as an `UnsafeRawBufferPointer` and works on the
/// `entries.count / 52` whole entries in it, so no index computed here can reach past the
/// buffer, whatever bytes it holds. Unsorted (corrupt) entries make a search miss, never trap
/// or loop: every probe shrinks the candidate range.
enum _UnsafeIndexSearch {
    static let width = IndexSegmentCodec.entryWidth
    /// Ranges this small are scanned linearly (16 entries = 832 contiguous bytes).
    static let scanLimit = 16
    /// Interpolation probes before falling back to bisection; uniform keys need 2-4.
    static let maxInterpolationProbes = 6

    /// Whole entries in `entries`.
    @inline(__always)
    static func count(_ entries: UnsafeRawBufferPointer) -> Int { entries.count / width }

    /// Key word `word` (0...3) of entry `index`, as a big-endian number.
    @inline(__always)
    static func keyWord(_ entries: UnsafeRawBufferPointer, _ index: Int, _ word: Int) -> UInt64 {
        // SAFETY: callers pass 0 <= index < count(entries) and 0 <= word < 4, so the 8 bytes at
        // index * 52 + word * 8 lie inside `entries`.
        UInt64(bigEndian: entries.loadUnaligned(fromByteOffset: index &* width &+ word &* 8, as: UInt64.self))
    }

    /// Compares `key` with the key of entry `index`: negative, zero or positive.
    @inline(__always)
    static func compare(_ key: Key, _ entries: UnsafeRawBufferPointer, _ index: Int) -> Int {
        let w0 = keyWord(entries, index, 0)
        if key.w0 != w0 { return key.w0 < w0 ? -1 : 1 }
        let w1 = keyWord(entries, index, 1)
        if key.w1 != w1 { return key.w1 < w1 ? -1 : 1 }
        let w2 = keyWord(entries, index, 2)
        if key.w2 != w2 { return key.w2 < w2 ? -1 : 1 }
        let w3 = keyWord(entries, index, 3)
        if key.w3 != w3 { return key.w3 < w3 ? -1 : 1 }
        return 0
    }

    static func key(_ entries: UnsafeRawBufferPointer, _ index: Int) -> Key {
        Key(w0: keyWord(entries, index, 0), w1: keyWord(entries, index, 1),
            w2: keyWord(entries, index, 2), w3: keyWord(entries, index, 3))
    }

    /// Entry `index`; the caller guarantees 0 <= index < count(entries).
    static func entry(_ entries: UnsafeRawBufferPointer, _ index: Int) -> IndexEntry {
        let base = index &* width
        // SAFETY: base + 52 <= entries.count (index < count), so bytes base+32 ..< base+52 are inside.
        let stratum = UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: base &+ 32, as: UInt64.self))
        let offset = UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: base &+ 40, as: UInt32.self))
        let packed = UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: base &+ 44, as: UInt32.self))
        let plainLength = UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: base &+ 48, as: UInt32.self))
        return IndexEntry(key: key(entries, index), stratum: stratum, offset: offset,
                          length: packed & IndexEntry.maxLength, kind: UInt8(truncatingIfNeeded: packed >> 28),
                          plainLength: plainLength)
    }

    /// Stratum id of entry `index`; the caller guarantees 0 <= index < count(entries).
    static func stratum(_ entries: UnsafeRawBufferPointer, _ index: Int) -> UInt64 {
        // SAFETY: index * 52 + 40 <= entries.count.
        UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: index &* width &+ 32, as: UInt64.self))
    }

    /// Frame offset of entry `index`; the caller guarantees 0 <= index < count(entries).
    static func offset(_ entries: UnsafeRawBufferPointer, _ index: Int) -> UInt32 {
        // SAFETY: index * 52 + 44 <= entries.count.
        UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: index &* width &+ 40, as: UInt32.self))
    }

    /// The index of the entry holding `key`, or nil.
    ///
    /// Keys are uniform hashes, so the first probe goes where the key's first 8 bytes say
    /// (count × prefix / 2^64); each next probe steps by the expected number of entries between
    /// the probed prefix and the key's. Once the key is expected within a few entries, a short
    /// linear scan finishes; after ``maxInterpolationProbes`` probes, bisection takes over, so
    /// adversarial keys cost O(log n).
    /// - Complexity: O(log log n) probes expected on uniform keys, O(log n) at worst.
    static func search(_ key: Key, in entries: UnsafeRawBufferPointer) -> Int? {
        let count = count(entries)
        var low = 0, high = count  // the key, if present, is in low ..< high
        var position = estimate(distance: key.prefix64, count: count)
        var probes = 0
        while low < high {
            if high - low <= scanLimit { return scan(key, entries, low..<high) }
            position = min(max(position, low), high - 1)
            let order = compare(key, entries, position)
            if order == 0 { return position }
            if order > 0 { low = position + 1 } else { high = position }
            probes += 1
            guard probes < maxInterpolationProbes else {
                position = low + (high - low) / 2
                continue
            }
            let probed = keyWord(entries, position, 0)
            let distance = estimate(distance: order > 0 ? key.prefix64 &- probed : probed &- key.prefix64, count: count)
            guard distance <= scanLimit / 2 else {
                position = order > 0 ? position + distance : position - distance
                continue
            }
            // Bounded local search: the key is expected within a few entries on this side.
            if order > 0 {
                let end = min(high, low + scanLimit)
                while low < end {
                    let next = compare(key, entries, low)
                    if next == 0 { return low }
                    if next < 0 { return nil }
                    low += 1
                }
                position = low
            } else {
                let end = max(low, high - scanLimit)
                while high > end {
                    let previous = compare(key, entries, high - 1)
                    if previous == 0 { return high - 1 }
                    if previous > 0 { return nil }
                    high -= 1
                }
                position = high - 1
            }
        }
        return nil
    }

    /// How many of `count` uniform keys are expected in a span `distance` of the 2^64 prefix space.
    @inline(__always)
    static func estimate(distance: UInt64, count: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(count).multipliedFullWidth(by: distance).high)
    }

    private static func scan(_ key: Key, _ entries: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        for index in range {
            let order = compare(key, entries, index)
            if order == 0 { return index }
            if order < 0 { return nil }
        }
        return nil
    }

    /// Offset (from the start of `entries`) of the first entry not strictly after the previous
    /// one by (key, stratum, offset), or nil when the entries ascend strictly.
    static func firstOutOfOrder(_ entries: UnsafeRawBufferPointer) -> Int? {
        let count = count(entries)
        guard count > 1 else { return nil }
        var previous = (key(entries, 0), stratum(entries, 0), offset(entries, 0))
        for index in 1..<count {
            let current = (key(entries, index), stratum(entries, index), offset(entries, index))
            let ascends = previous.0 != current.0 ? previous.0 < current.0
                : previous.1 != current.1 ? previous.1 < current.1 : previous.2 < current.2
            guard ascends else { return index * width }
            previous = current
        }
        return nil
    }
}
