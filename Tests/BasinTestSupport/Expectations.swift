import BasinBackend
import BasinStore
import Testing

/// The error `body` throws, or nil (and a recorded issue) when it returns normally.
public func basinError<T>(
    _ body: () async throws -> T,
    sourceLocation: SourceLocation = #_sourceLocation
) async -> BasinError? {
    do {
        _ = try await body()
        Issue.record("expected a BasinError, got none", sourceLocation: sourceLocation)
        return nil
    } catch let error as BasinError {
        return error
    } catch {
        Issue.record("expected a BasinError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Expects `body` to throw a ``BasinError`` of `code` whose message contains `naming`.
public func expectBasinError<T>(
    _ code: BasinError.Code, naming: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    guard let error = await basinError(body, sourceLocation: sourceLocation) else { return }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    if let naming {
        #expect(error.message.contains(naming), "message does not name '\(naming)': \(error.message)",
                sourceLocation: sourceLocation)
    }
}

/// Deterministic pseudo-random bytes (SplitMix64), so a failing test sees the same data again.
public func testBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    SplitMix64.bytes(count, seed: seed)
}
