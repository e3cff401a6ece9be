import Testing
@Test func snapshotsPlaceholder() { #expect(Int("1") == 1) }
