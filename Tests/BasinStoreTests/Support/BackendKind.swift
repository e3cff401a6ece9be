import BasinBackend
import BasinLocal
import BasinStore
import BasinTestSupport
import Testing

/// The backends the conformance suite runs against.
enum BackendKind: String, CaseIterable, CustomTestStringConvertible {
    case local
    /// A local backend sending every read to the blocking-I/O queue, to cover that path too.
    case localOffloaded
    case memory

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, empty backend of this kind (in a temporary directory).
    func with(_ body: (any Backend) async throws -> Void) async throws {
        switch self {
        case .memory:
            try await body(MemoryBackend())
        case .local, .localOffloaded:
            try await withTemporaryDirectory { directory in
                var backend = try LocalBackend(directory: directory + "/basin", create: true)
                if self == .localOffloaded { backend.readOffloadThreshold = 0 }
                try await body(backend)
                #expect(temporaryFilesBelow(directory).isEmpty, "temporary files left behind")
            }
        }
    }
}
