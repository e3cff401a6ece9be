import BasinBackend
import BasinStore
import Testing

/// The rules of ``Backend`` (BasinTestSupport's ``BackendConformance``) on the local and
/// memory backends; BasinS3Tests runs the same checks on S3.
@Suite("Backend conformance")
struct BackendConformanceTests {
    @Test(arguments: BackendKind.allCases, BackendConformance.checks)
    func conformance(kind: BackendKind, check: BackendConformanceCheck) async throws {
        try await kind.with { backend in try await check.run(backend) }
    }
}
