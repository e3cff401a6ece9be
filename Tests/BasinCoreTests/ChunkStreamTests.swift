import Glibc
import BasinCore
import Testing

@Suite struct ChunkStreamTests {
    typealias RNG = CoreTestSupport.SplitMix64

    static let parameters = try! FastCDCParameters(minSize: 256, averageSize: 1024, maxSize: 8192)

    /// The chunks one-shot cutting gives for the whole input: what every streaming form must match.
    static func oneShotChunks(_ input: [UInt8], _ parameters: FastCDCParameters = parameters) -> [[UInt8]] {
        var offset = 0
        return FastCDC(parameters: parameters).chunkLengths(input).map { length in
            defer { offset += length }
            return Array(input[offset..<(offset + length)])
        }
    }

    /// A read function over `input` that returns a random number of bytes each call (0 only at the end).
    static func randomReader(_ input: [UInt8], seed: UInt64) -> (UnsafeMutableRawBufferPointer) -> Int {
        var offset = 0
        var rng = RNG(seed: seed)
        return { buffer in
            let wanted = 1 + Int(rng.next() % UInt64(rng.next() % 2 == 0 ? 300 : 20_000))
            let count = min(wanted, buffer.count, input.count - offset)
            input.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + count)]))
            }
            offset += count
            return count
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func chunkerWithRandomReadsMatchesOneShot(seed: UInt64) {
        var rng = RNG(seed: seed)
        let input = rng.bytes(200_000 + Int(rng.next() % 50_000))
        let readSize = [1, 100, 4096, 9000, 1 << 20][Int(seed) % 5]
        var chunker = Chunker(parameters: Self.parameters, readSize: readSize)
        let read = Self.randomReader(input, seed: seed &* 77)
        var chunks: [[UInt8]] = []
        while let chunk = chunker.next(read: read) { chunks.append(chunk) }
        #expect(chunks == Self.oneShotChunks(input), "seed \(seed) readSize \(readSize)")
        #expect(chunker.next(read: read) == nil)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func pushedPiecesMatchOneShotWithBoundedMemory(seed: UInt64) {
        var rng = RNG(seed: seed)
        let input = rng.bytes(150_000)
        var stream = ChunkStream(parameters: Self.parameters)
        var chunks: [[UInt8]] = []
        var offset = 0
        var largestPiece = 0
        while offset < input.count {
            let size = min(input.count - offset, Int(rng.next() % 12_000))  // includes empty pieces
            largestPiece = max(largestPiece, size)
            stream.append(input[offset..<(offset + size)].map { $0 })
            offset += size
            while let chunk = stream.nextChunk() { chunks.append(chunk) }
            #expect(stream.bufferedByteCount < Self.parameters.maxSize)
            #expect(stream.storageCapacity <= Self.parameters.maxSize + largestPiece)
        }
        while let chunk = stream.nextChunk(atEnd: true) { chunks.append(chunk) }
        #expect(stream.bufferedByteCount == 0)
        #expect(chunks == Self.oneShotChunks(input), "seed \(seed)")
    }

    @Test func chunkerMemoryStaysBounded() {
        var rng = RNG(seed: 9)
        let input = rng.bytes(400_000)
        var chunker = Chunker(parameters: Self.parameters, readSize: 3000)
        let read = Self.randomReader(input, seed: 10)
        var total = 0
        while let chunk = chunker.next(read: read) { total += chunk.count }
        #expect(total == input.count)
        #expect(chunker.storageCapacity <= Self.parameters.maxSize + 3000)
    }

    @Test func emptyInputHasNoChunks() {
        var chunker = Chunker(parameters: Self.parameters)
        #expect(chunker.next(read: { _ in 0 }) == nil)
        var stream = ChunkStream(parameters: Self.parameters)
        stream.append([])
        #expect(stream.nextChunk(atEnd: true) == nil)
    }

    struct ReadFailure: Error, Equatable {}

    @Test func readErrorsPropagateAndChunkingResumes() {
        var rng = RNG(seed: 21)
        let input = rng.bytes(60_000)
        let inner = Self.randomReader(input, seed: 22)
        var calls = 0
        let failing: (UnsafeMutableRawBufferPointer) throws(ReadFailure) -> Int = { (buffer) throws(ReadFailure) -> Int in
            calls += 1
            if calls % 5 == 0 { throw ReadFailure() }
            return inner(buffer)
        }
        var chunker = Chunker(parameters: Self.parameters, readSize: 700)
        var chunks: [[UInt8]] = []
        var failures = 0
        while true {
            do throws(ReadFailure) {
                guard let chunk = try chunker.next(read: failing) else { break }
                chunks.append(chunk)
            } catch {
                failures += 1
            }
        }
        #expect(failures > 0)
        #expect(chunks == Self.oneShotChunks(input))
    }

    @Test func asyncSequenceMatchesOneShot() async throws {
        var rng = RNG(seed: 31)
        let input = rng.bytes(120_000)
        var pieces: [[UInt8]] = []
        var offset = 0
        while offset < input.count {
            let size = min(input.count - offset, Int(rng.next() % 9000))
            pieces.append(Array(input[offset..<(offset + size)]))
            offset += size
        }
        let (source, continuation) = AsyncStream<[UInt8]>.makeStream()
        for piece in pieces { continuation.yield(piece) }
        continuation.finish()
        var chunks: [[UInt8]] = []
        for try await chunk in source.chunked(Self.parameters) { chunks.append(chunk) }
        #expect(chunks == Self.oneShotChunks(input))
    }

    @Test func chunkerReadsAFileDescriptor() throws {
        var rng = RNG(seed: 41)
        let input = rng.bytes(100_000)
        var template = Array("/tmp/basin-chunker-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        defer {
            close(fd)
            unlink(template)
        }
        let written = input.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        try #require(written == input.count)
        try #require(lseek(fd, 0, SEEK_SET) == 0)

        struct Errno: Error { let code: Int32 }
        var chunker = Chunker(parameters: Self.parameters, readSize: 4096)
        var chunks: [[UInt8]] = []
        while let chunk = try chunker.next(read: { (buffer) throws(Errno) -> Int in
            let count = read(fd, buffer.baseAddress, buffer.count)
            guard count >= 0 else { throw Errno(code: errno) }
            return count
        }) {
            chunks.append(chunk)
        }
        #expect(chunks == Self.oneShotChunks(input))
    }

    @Test func defaultParametersStreamLikeOneShot() {
        var rng = RNG(seed: 51)
        let input = rng.bytes(6 << 20)
        var chunker = Chunker(parameters: .default, readSize: 300_000)
        let read = Self.randomReader(input, seed: 52)
        var lengths: [Int] = []
        while let chunk = chunker.next(read: read) { lengths.append(chunk.count) }
        #expect(lengths == FastCDC(parameters: .default).chunkLengths(input))
        #expect(lengths.count > 2)
    }
}
