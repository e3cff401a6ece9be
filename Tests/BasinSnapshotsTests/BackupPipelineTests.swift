import BasinBackend
import BasinCore
import BasinTestSupport
import Testing
@testable import BasinSnapshots
@testable import BasinStore

/// Returns once the calling task is cancelled (a stream that never yields ends then).
private func waitUntilCancelled() async {
    let (stream, continuation) = AsyncStream<Never>.makeStream()
    // Held to the end: a stream whose continuation is gone ends at once.
    defer { continuation.finish() }
    for await _ in stream {}
}

@Suite("Backup pipeline: cancellation, back-pressure, scanner")
struct BackupPipelineTests {
    /// `directories` directories of `files` small files each, and `largeFiles` files over the
    /// small-file limit (read as jobs of their own).
    static func makeTree(_ scratch: Scratch, directories: Int, files: Int, largeFiles: Int) throws -> Int {
        try scratch.mkdir("src")
        for directory in 0..<directories {
            try scratch.mkdir("src/d\(directory)")
            for file in 0..<files {
                try scratch.write("src/d\(directory)/f\(file)", seeded(200 + file, seed: UInt64(directory * 1000 + file)))
            }
        }
        for file in 0..<largeFiles {
            try scratch.write("src/large\(file)", seeded(Int(FileSaver.smallFileLimit) + 100_000, seed: UInt64(90_000 + file)))
        }
        return directories * files + largeFiles
    }

    @Test("cancelling a running backup stops every reader and the walk, and commits no snapshot")
    func cancellation() async throws {
        let scratch = try Scratch()
        let total = try Self.makeTree(scratch, directories: 4, files: 100, largeFiles: 2)
        let repository = SnapshotRepository(basin: try await testBasin())
        let (reached, reachedContinuation) = AsyncStream<Void>.makeStream()
        var hooks = BackupEngine.Hooks()
        // Every reader holds after its first file until the backup is cancelled: the test
        // knows the backup is under way, and nothing is read after the cancellation.
        hooks.fileSaved = { _ in
            reachedContinuation.yield()
            await waitUntilCancelled()
        }
        var options = BackupOptions(paths: [scratch.path + "/src"])
        options.readers = 2
        let engine = BackupEngine(repository: repository, options: options, progress: BackupProgress(), hooks: hooks)
        let backup = Task { try await engine.run() }
        var signals = reached.makeAsyncIterator()
        _ = await signals.next()
        backup.cancel()
        switch await backup.result {
        case .success:
            Issue.record("a cancelled backup finished")
        case let .failure(error):
            #expect(error is CancellationError, "\(error)")
        }
        #expect(try await repository.list().isEmpty)
        let done = engine.progress.current.filesDone
        #expect(done >= 1 && done <= options.readers, "\(done) of \(total) files were saved")
    }

    @Test("no more files are in flight than there are readers", arguments: [1, 3])
    func boundedFilesInFlight(readers: Int) async throws {
        let scratch = try Scratch()
        // 70 small files a directory make two batches each; the large files are jobs of one.
        let total = try Self.makeTree(scratch, directories: 3, files: 70, largeFiles: 4)
        let repository = SnapshotRepository(basin: try await testBasin())
        var hooks = BackupEngine.Hooks()
        // A saved file stays in flight while others run, so more would overlap if allowed.
        hooks.fileSaved = { _ in await Task.yield() }
        var options = BackupOptions(paths: [scratch.path + "/src"])
        options.readers = readers
        let engine = BackupEngine(repository: repository, options: options, progress: BackupProgress(), hooks: hooks)
        let result = try await engine.run()
        #expect(result.filesRead == total && result.isComplete)
        #expect(engine.maxFilesInFlight >= 1 && engine.maxFilesInFlight <= readers, "\(engine.maxFilesInFlight) in flight")
    }

    @Test("the scanner counts what the backup covers, honouring excludes")
    func scannerTotals() async throws {
        let scratch = try Scratch()
        _ = try Self.makeTree(scratch, directories: 2, files: 10, largeFiles: 1)
        try scratch.write("src/d0/skip.tmp", [1, 2, 3])
        var options = BackupOptions(paths: [scratch.path + "/src"])
        options.excludes = ["*.tmp"]
        let engine = BackupEngine(repository: SnapshotRepository(basin: try await testBasin()), options: options)
        await engine.countInput()
        let result = try await engine.run()
        let totals = engine.progress.current
        #expect(totals.totalsKnown)
        #expect(totals.filesTotal == result.summary.filesNew && totals.filesTotal == 21)
        #expect(totals.bytesTotal == result.summary.totalBytes)
    }
}
