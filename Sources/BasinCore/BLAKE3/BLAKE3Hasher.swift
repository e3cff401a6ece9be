/// Incremental BLAKE3: feed input in pieces of any size, then read the hash or any length of
/// extended output (XOF) at any offset. A value type: copying a hasher forks its state.
///
/// ```swift
/// var hasher = BLAKE3Hasher()
/// hasher.update(header)
/// hasher.update(body)
/// let digest = hasher.finalize()
/// ```
public struct BLAKE3Hasher: Sendable {
    let key: SIMD8<UInt32>
    let flags: UInt32
    var kernel = BLAKE3Kernel.best
    private var chunk: BLAKE3ChunkState
    /// Chaining values of complete subtrees left of the current chunk, largest first. Merged
    /// lazily: a pair is joined only once more input shows it is not the root's children.
    private var stack: [SIMD8<UInt32>] = []

    init(key: SIMD8<UInt32>, flags: UInt32) {
        self.key = key
        self.flags = flags
        self.chunk = BLAKE3ChunkState(key: key, chunkCounter: 0, flags: flags)
    }

    /// A hasher for the default hash mode.
    public init() {
        self.init(key: BLAKE3Compression.iv, flags: 0)
    }

    /// A hasher for the keyed hash mode.
    /// - Parameters:
    ///   - key: exactly 32 bytes (a precondition).
    public init(key: [UInt8]) {
        self.init(key: BLAKE3Words.key(key), flags: BLAKE3.keyedHashFlag)
    }

    /// A hasher for the key derivation mode; feed it the key material.
    /// - Parameters:
    ///   - context: a hard-coded, globally unique, application-specific string.
    public init(deriveKeyContext context: String) {
        var contextHasher = BLAKE3Hasher(key: BLAKE3Compression.iv, flags: BLAKE3.deriveKeyContext)
        contextHasher.update(Array(context.utf8))
        let contextKey = contextHasher.finalOutput().rootBlock(0).lowHalf
        self.init(key: contextKey, flags: BLAKE3.deriveKeyMaterial)
    }

    /// Absorbs `bytes`.
    /// - Parameters:
    ///   - bytes: the next input bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Absorbs `bytes`.
    /// - Parameters:
    ///   - bytes: the next input bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        update(bytes, threads: 1)
    }

    /// Absorbs `bytes`, hashing large aligned subtrees of it on up to `threads` threads. The
    /// result is the same as with ``update(_:)-(UnsafeRawBufferPointer)``.
    /// - Parameters:
    ///   - bytes: the next input bytes.
    ///   - threads: the most threads to use; values below 1 mean 1.
    public mutating func update(_ bytes: UnsafeRawBufferPointer, threads: Int) {
        let chunkBytes = BLAKE3.chunkByteCount
        var rest = bytes
        if chunk.count > 0 {
            let take = min(chunkBytes - chunk.count, rest.count)
            chunk.update(UnsafeRawBufferPointer(rebasing: rest[..<take]))
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            guard !rest.isEmpty else { return }
            // The chunk is full and more input follows, so it is not the root.
            push(chunk.output().chainingValue, chunkCounter: chunk.chunkCounter)
            chunk = BLAKE3ChunkState(key: key, chunkCounter: chunk.chunkCounter + 1, flags: flags)
        }
        // Whole subtrees straight from the input, as large as both the remaining input and the
        // alignment of the chunk counter allow. The last chunk always stays in `chunk` unless a
        // subtree ends exactly at the end of the input (its two children then stay on the stack).
        while rest.count > chunkBytes {
            let counter = chunk.chunkCounter
            var subtreeBytes = 1 << (Int.bitWidth - 1 - rest.count.leadingZeroBitCount)
            while UInt64(subtreeBytes - 1) & (counter &* UInt64(chunkBytes)) != 0 {
                subtreeBytes /= 2
            }
            let subtree = UnsafeRawBufferPointer(rebasing: rest[..<subtreeBytes])
            let subtreeChunks = UInt64(subtreeBytes / chunkBytes)
            if subtreeChunks == 1 {
                push(kernel.subtreeChainingValue(subtree, counter: counter, key: key, flags: flags), chunkCounter: counter)
            } else {
                let (left, right) = kernel.subtreeChildren(subtree, counter: counter, key: key, flags: flags,
                                                           threads: max(threads, 1))
                push(left, chunkCounter: counter)
                push(right, chunkCounter: counter + subtreeChunks / 2)
            }
            chunk = BLAKE3ChunkState(key: key, chunkCounter: counter + subtreeChunks, flags: flags)
            rest = UnsafeRawBufferPointer(rebasing: rest[subtreeBytes...])
        }
        if !rest.isEmpty {
            chunk.update(rest)
            mergeStack(chunkCount: chunk.chunkCounter)
        }
    }

    /// Joins stacked pairs until the stack holds one chaining value per 1 bit of `chunkCount`
    /// (the complete subtrees that `chunkCount` chunks form).
    private mutating func mergeStack(chunkCount: UInt64) {
        while stack.count > chunkCount.nonzeroBitCount {
            let right = stack.removeLast()
            let left = stack.removeLast()
            stack.append(BLAKE3Output(parentOf: left, right, key: key, flags: flags).chainingValue)
        }
    }

    private mutating func push(_ cv: SIMD8<UInt32>, chunkCounter: UInt64) {
        mergeStack(chunkCount: chunkCounter)
        stack.append(cv)
    }

    /// The root node: the current chunk (or the last stacked pair) joined with every
    /// stacked subtree, right to left.
    func finalOutput() -> BLAKE3Output {
        var remaining = stack.count
        var output: BLAKE3Output
        if chunk.count > 0 || remaining == 0 {
            output = chunk.output()
        } else {
            output = BLAKE3Output(parentOf: stack[remaining - 2], stack[remaining - 1], key: key, flags: flags)
            remaining -= 2
        }
        while remaining > 0 {
            output = BLAKE3Output(parentOf: stack[remaining - 1], output.chainingValue, key: key, flags: flags)
            remaining -= 1
        }
        return output
    }

    /// The 32-byte hash of everything absorbed so far. The hasher can keep absorbing.
    /// - Returns: 32 bytes.
    public func finalize() -> [UInt8] {
        finalize(length: BLAKE3.outputByteCount)
    }

    /// Extended output: bytes `seek ..< seek + length` of the unbounded output stream, whose
    /// first 32 bytes are ``finalize()``.
    /// - Parameters:
    ///   - length: bytes to return, at least 0.
    ///   - seek: offset in the output stream.
    /// - Returns: `length` bytes.
    public func finalize(length: Int, seek: UInt64 = 0) -> [UInt8] {
        precondition(length >= 0, "negative output length")
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            finalize(into: UnsafeMutableRawBufferPointer(buffer), seek: seek)
            initialized = length
        }
    }

    /// Extended output into the caller's buffer: writes bytes `seek ..< seek + output.count`
    /// of the output stream.
    /// - Parameters:
    ///   - output: the buffer to fill, entirely.
    ///   - seek: offset in the output stream.
    public func finalize(into output: UnsafeMutableRawBufferPointer, seek: UInt64 = 0) {
        finalOutput().writeRoot(into: output, seek: seek)
    }
}
