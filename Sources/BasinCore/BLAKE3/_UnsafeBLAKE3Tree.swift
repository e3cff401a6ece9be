import BLAKE3AVX2
import BLAKE3AVX512
import Dispatch

// Pointer-level tree hashing: whole chunks and parents through the selected kernel, complete
// subtrees reduced in a scratch buffer, and the parallel split of large subtrees.
// Chaining values in scratch buffers are native-endian `SIMD8<UInt32>`s, 32 bytes each, so a
// pair of neighbours is a parent's 64-byte block as the kernels load it.
extension BLAKE3Kernel {
    /// Chunks reduced in one scratch buffer: 1 MiB of input, 32 KiB of chaining values; each
    /// SIMD lane walks a run of `batchChunks / laneCount` consecutive chunks.
    static let batchChunks = 1024
    /// The smallest piece of a subtree given to a thread of its own (256 KiB).
    static let minimumPieceChunks = 256
    /// Below this many inputs, a SIMD call costs more than scalar compressions.
    static let minimumSIMDInputs = 4

    /// Computes the chaining values of whole chunks.
    /// - Parameters:
    ///   - input: `1024 * count` readable bytes.
    ///   - count: chunks, at least 1.
    ///   - counter: chunk counter of the first chunk.
    ///   - output: `32 * count` writable bytes, disjoint from `input`.
    func hashChunks(
        _ input: UnsafeRawPointer, count: Int, key: SIMD8<UInt32>, counter: UInt64, flags: UInt32,
        output: UnsafeMutableRawPointer
    ) {
        let chunk = BLAKE3.chunkByteCount
        let lanes = laneCount
        var done = 0
        if self != .portable {
            let runLength = count / lanes
            if runLength > 0 {
                simdChunks(input, laneCount: lanes, runLength: runLength, key: key, counter: counter,
                           flags: flags, output: output)
                done = lanes * runLength
            }
            if count - done >= Self.minimumSIMDInputs {
                // SAFETY: done < count, so the remaining chunks and their outputs are in bounds.
                simdChunks(input + done * chunk, laneCount: count - done, runLength: 1, key: key,
                           counter: counter &+ UInt64(done), flags: flags, output: output + done * 32)
                done = count
            }
        }
        for index in done..<count {
            // SAFETY: index < count: chunk `index` and its 32-byte output are in bounds.
            let cv = Self.chunkChainingValue(input + index * chunk, counter: counter &+ UInt64(index),
                                             key: key, flags: flags)
            output.storeBytes(of: cv, toByteOffset: 32 * index, as: SIMD8<UInt32>.self)
        }
    }

    /// Computes parent chaining values from pairs of child chaining values.
    /// - Parameters:
    ///   - input: `64 * count` readable bytes: left and right child of each parent.
    ///   - count: parents, at least 1.
    ///   - output: `32 * count` writable bytes; may be `input` (in-place reduction).
    func hashParents(
        _ input: UnsafeRawPointer, count: Int, key: SIMD8<UInt32>, flags: UInt32,
        output: UnsafeMutableRawPointer
    ) {
        var done = 0
        if self != .portable {
            // SAFETY: each call covers parents done..<done+n with done + n <= count. Writing
            // in place, a call stores to bytes [32 * done, 32 * (done + n)), which lie below
            // 64 * done (already consumed) or inside its own inputs (loaded before any store).
            while count - done >= Self.minimumSIMDInputs {
                let n = min(laneCount, count - done)
                simdParents(input + 64 * done, count: n, key: key, flags: flags, output: output + 32 * done)
                done += n
            }
        }
        for index in done..<count {
            // SAFETY: index < count; parent `index` loads its 64 bytes before storing 32 bytes
            // at 32 * index, which is at or below its own input, so in place is fine.
            let block = input.loadUnaligned(fromByteOffset: 64 * index, as: SIMD16<UInt32>.self)
            let cv = BLAKE3Compression.compress(chainingValue: key, block: block, counter: 0,
                                                blockLength: UInt32(BLAKE3.blockByteCount),
                                                flags: flags | BLAKE3.parent).lowHalf
            output.storeBytes(of: cv, toByteOffset: 32 * index, as: SIMD8<UInt32>.self)
        }
    }

    private func simdChunks(
        _ input: UnsafeRawPointer, laneCount: Int, runLength: Int, key: SIMD8<UInt32>, counter: UInt64,
        flags: UInt32, output: UnsafeMutableRawPointer
    ) {
        switch self {
        case .avx512:
            BLAKE3AVX512Kernel.hashChunks(input, laneCount: laneCount, runLength: runLength, key: key,
                                          counter: counter, flags: flags, output: output)
        case .avx2:
            BLAKE3AVX2Kernel.hashChunks(input, laneCount: laneCount, runLength: runLength, key: key,
                                        counter: counter, flags: flags, output: output)
        case .portable:
            preconditionFailure("the portable kernel has no SIMD path")
        }
    }

    private func simdParents(
        _ input: UnsafeRawPointer, count: Int, key: SIMD8<UInt32>, flags: UInt32, output: UnsafeMutableRawPointer
    ) {
        switch self {
        case .avx512:
            BLAKE3AVX512Kernel.hashParents(input, count: count, key: key, flags: flags, output: output)
        case .avx2:
            BLAKE3AVX2Kernel.hashParents(input, count: count, key: key, flags: flags, output: output)
        case .portable:
            preconditionFailure("the portable kernel has no SIMD path")
        }
    }

    /// The chaining value of one whole chunk, by scalar compressions.
    /// - Parameters:
    ///   - chunk: 1024 readable bytes.
    static func chunkChainingValue(
        _ chunk: UnsafeRawPointer, counter: UInt64, key: SIMD8<UInt32>, flags: UInt32
    ) -> SIMD8<UInt32> {
        var cv = key
        for block in 0..<16 {
            let blockFlags = flags | (block == 0 ? BLAKE3.chunkStart : 0) | (block == 15 ? BLAKE3.chunkEnd : 0)
            // SAFETY: block < 16, so the 64 bytes at 64 * block lie in the chunk.
            cv = BLAKE3Compression.compress(
                chainingValue: cv, block: BLAKE3Words.loadBlock(chunk + 64 * block), counter: counter,
                blockLength: UInt32(BLAKE3.blockByteCount), flags: blockFlags
            ).lowHalf
        }
        return cv
    }

    /// The chaining value of a complete subtree (not the root).
    /// - Parameters:
    ///   - input: 1024 × 2^k bytes, k >= 0.
    ///   - counter: chunk counter of its first chunk, a multiple of 2^k.
    func subtreeChainingValue(
        _ input: UnsafeRawBufferPointer, counter: UInt64, key: SIMD8<UInt32>, flags: UInt32
    ) -> SIMD8<UInt32> {
        let chunks = input.count / BLAKE3.chunkByteCount
        // SAFETY: input.count >= 1024, so baseAddress is not nil; the scratch buffer is only
        // used inside this scope.
        if chunks == 1 {
            return Self.chunkChainingValue(input.baseAddress!, counter: counter, key: key, flags: flags)
        }
        return withUnsafeTemporaryAllocation(byteCount: 32 * min(chunks, Self.batchChunks), alignment: 64) { scratch in
            subtreeChainingValue(input.baseAddress!, chunks: chunks, counter: counter, key: key, flags: flags,
                                 scratch: scratch.baseAddress!)
        }
    }

    /// - Parameters:
    ///   - scratch: `32 * min(chunks, batchChunks)` writable bytes.
    private func subtreeChainingValue(
        _ input: UnsafeRawPointer, chunks: Int, counter: UInt64, key: SIMD8<UInt32>, flags: UInt32,
        scratch: UnsafeMutableRawPointer
    ) -> SIMD8<UInt32> {
        if chunks > Self.batchChunks {
            // SAFETY: both halves lie in the input; each reuses the scratch buffer in turn.
            let half = chunks / 2
            let left = subtreeChainingValue(input, chunks: half, counter: counter, key: key, flags: flags,
                                            scratch: scratch)
            let right = subtreeChainingValue(input + half * BLAKE3.chunkByteCount, chunks: half,
                                             counter: counter &+ UInt64(half), key: key, flags: flags,
                                             scratch: scratch)
            return BLAKE3Output(parentOf: left, right, key: key, flags: flags).chainingValue
        }
        hashChunks(input, count: chunks, key: key, counter: counter, flags: flags, output: scratch)
        reduce(scratch, count: chunks, to: 1, key: key, flags: flags)
        // SAFETY: the reduction leaves the subtree's chaining value in the first 32 bytes.
        return scratch.loadUnaligned(as: SIMD8<UInt32>.self)
    }

    /// Reduces `count` chaining values in place, level by level, until `target` remain.
    /// - Parameters:
    ///   - cvs: `32 * count` bytes; `count` is `target` × a power of two.
    private func reduce(_ cvs: UnsafeMutableRawPointer, count: Int, to target: Int, key: SIMD8<UInt32>, flags: UInt32) {
        var remaining = count
        while remaining > target {
            hashParents(cvs, count: remaining / 2, key: key, flags: flags, output: cvs)
            remaining /= 2
        }
    }

    /// The chaining values of the two halves of a complete subtree, hashed on up to `threads`
    /// threads: the subtree is cut into equal power-of-two pieces, spread over the threads,
    /// and the pieces' chaining values are joined by parent nodes.
    /// - Parameters:
    ///   - input: 1024 × 2^k bytes, k >= 1.
    ///   - counter: chunk counter of its first chunk, a multiple of 2^k.
    ///   - threads: the most threads to use.
    func subtreeChildren(
        _ input: UnsafeRawBufferPointer, counter: UInt64, key: SIMD8<UInt32>, flags: UInt32, threads: Int
    ) -> (SIMD8<UInt32>, SIMD8<UInt32>) {
        let chunks = input.count / BLAKE3.chunkByteCount
        var pieces = 2
        while threads > 1 && pieces < 4 * threads && chunks / (2 * pieces) >= Self.minimumPieceChunks {
            pieces *= 2
        }
        let job = PieceJob(kernel: self, input: input, pieces: pieces, counter: counter, key: key, flags: flags)
        let workers = chunks / pieces >= Self.minimumPieceChunks ? min(threads, pieces) : 1
        return withUnsafeTemporaryAllocation(byteCount: 32 * pieces, alignment: 64) { cvs in
            let output = PieceOutput(cvs: cvs)
            if workers > 1 {
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    for piece in stride(from: worker, to: job.pieces, by: workers) { job.hash(piece, into: output) }
                }
            } else {
                for piece in 0..<pieces { job.hash(piece, into: output) }
            }
            reduce(cvs.baseAddress!, count: pieces, to: 2, key: key, flags: flags)
            return (cvs.load(fromByteOffset: 0, as: SIMD8<UInt32>.self),
                    cvs.load(fromByteOffset: 32, as: SIMD8<UInt32>.self))
        }
    }
}

/// One equal piece of a subtree split for threads, by index.
private struct PieceJob: @unchecked Sendable {
    // SAFETY: @unchecked because of `input`: workers only read it, and the caller keeps it
    // valid until concurrentPerform has returned.
    let kernel: BLAKE3Kernel
    let input: UnsafeRawBufferPointer
    let pieces: Int
    let counter: UInt64
    let key: SIMD8<UInt32>
    let flags: UInt32

    /// Hashes piece `piece` (of `pieces` equal ones) and stores its chaining value at its index.
    func hash(_ piece: Int, into output: PieceOutput) {
        let pieceBytes = input.count / pieces
        let bytes = UnsafeRawBufferPointer(rebasing: input[piece * pieceBytes ..< (piece + 1) * pieceBytes])
        let firstChunk = UInt64(piece * pieceBytes / BLAKE3.chunkByteCount)
        let cv = kernel.subtreeChainingValue(bytes, counter: counter &+ firstChunk, key: key, flags: flags)
        output.cvs.storeBytes(of: cv, toByteOffset: 32 * piece, as: SIMD8<UInt32>.self)
    }
}

/// Where the pieces' chaining values go: 32 bytes per piece.
private struct PieceOutput: @unchecked Sendable {
    // SAFETY: @unchecked because workers write through the pointer concurrently: each piece
    // index is handled by exactly one worker and writes only its own 32 bytes, and the buffer
    // outlives concurrentPerform, which returns only after every worker has finished.
    let cvs: UnsafeMutableRawBufferPointer
}
