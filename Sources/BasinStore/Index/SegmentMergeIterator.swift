import BasinCore

/// A k-way merge of sorted segments into one ascending run without repeated keys.
///
/// Holds one cursor per input in a binary heap (O(log k) per entry, O(k) memory). Where
/// several inputs hold the same key, the entry from the input given last wins: callers pass
/// segments oldest first, so the newest entry survives.
struct SegmentMergeIterator: IteratorProtocol {
    private struct Cursor {
        var key: Key
        var position: Int
        let source: Int
    }

    private let sources: [MappedSegment.Entries]
    private var heap: [Cursor] = []

    init(_ segments: [MappedSegment]) {
        sources = segments.map(\.entries)
        for (source, entries) in sources.enumerated() where !entries.isEmpty {
            push(Cursor(key: entries[0].key, position: 0, source: source))
        }
    }

    mutating func next() -> IndexEntry? {
        nextCursor().map { sources[$0.source][$0.position] }
    }

    /// Counts the entries a merge yields (a cheap first pass: keys only, no output).
    static func count(_ segments: [MappedSegment]) -> Int {
        var iterator = SegmentMergeIterator(segments)
        var count = 0
        while iterator.nextCursor() != nil { count += 1 }
        return count
    }

    /// The cursor of the next key's winning entry; the same key in older inputs is skipped.
    private mutating func nextCursor() -> Cursor? {
        guard let top = popMinimum() else { return nil }
        advance(top)
        while let first = heap.first, first.key == top.key, let older = popMinimum() { advance(older) }
        return top
    }

    private mutating func advance(_ cursor: Cursor) {
        let next = cursor.position + 1
        guard next < sources[cursor.source].endIndex else { return }
        push(Cursor(key: sources[cursor.source][next].key, position: next, source: cursor.source))
    }

    /// Heap order: smaller key first; for equal keys, the later (newer) source first.
    private static func precedes(_ a: Cursor, _ b: Cursor) -> Bool {
        a.key != b.key ? a.key < b.key : a.source > b.source
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
