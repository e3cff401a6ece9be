import BasinCore

/// A k-way merge of sorted segments into one run in segment order (key, stratum, offset).
///
/// Holds one cursor per input in a binary heap (O(log k) per entry, O(k) memory). Copies of a
/// key in different strata all stay; where several inputs hold the same copy (a merge
/// interrupted after writing its output), the entry from the input given last wins.
struct SegmentMergeIterator: IteratorProtocol {
    private struct Cursor {
        var entry: IndexEntry
        var position: Int
        let source: Int
    }

    private let sources: [MappedSegment.Entries]
    private var heap: [Cursor] = []

    init(_ segments: [MappedSegment]) {
        sources = segments.map(\.entries)
        for (source, entries) in sources.enumerated() where !entries.isEmpty {
            push(Cursor(entry: entries[0], position: 0, source: source))
        }
    }

    mutating func next() -> IndexEntry? {
        nextCursor().map(\.entry)
    }

    /// Counts the entries a merge yields (a first pass without output).
    static func count(_ segments: [MappedSegment]) -> Int {
        var iterator = SegmentMergeIterator(segments)
        var count = 0
        while iterator.nextCursor() != nil { count += 1 }
        return count
    }

    /// The cursor of the next copy's winning entry; the same copy in older inputs is skipped.
    private mutating func nextCursor() -> Cursor? {
        guard let top = popMinimum() else { return nil }
        advance(top)
        while let first = heap.first, first.entry.isSameCopy(as: top.entry), let older = popMinimum() { advance(older) }
        return top
    }

    private mutating func advance(_ cursor: Cursor) {
        let next = cursor.position + 1
        guard next < sources[cursor.source].endIndex else { return }
        push(Cursor(entry: sources[cursor.source][next], position: next, source: cursor.source))
    }

    /// Heap order: segment order first; for the same copy, the later (newer) source first.
    private static func precedes(_ a: Cursor, _ b: Cursor) -> Bool {
        a.entry.isSameCopy(as: b.entry) ? a.source > b.source : IndexEntry.precedes(a.entry, b.entry)
    }

    private mutating func push(_ cursor: Cursor) {
        heap.append(cursor)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popMinimum() -> Cursor? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let minimum = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, Self.precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, Self.precedes(heap[right], heap[smallest]) { smallest = right }
            guard smallest != parent else { return minimum }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
