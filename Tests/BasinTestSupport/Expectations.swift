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
    var state = seed
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        for shift in stride(from: 0, to: 64, by: 8) where bytes.count < count {
            bytes.append(UInt8(truncatingIfNeeded: z >> UInt64(shift)))
        }
    }
    return bytes
}
