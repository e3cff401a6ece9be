import BasinCore
import Testing

@Suite struct KeyDerivationTests {
    static let bytes = CoreTestSupport.bytes(hex:)

    /// RFC 5869 appendix A.1 (test case 1).
    @Test func hkdfSHA256RFC5869Case1() {
        let okm = KeyDerivation.hkdfSHA256(
            inputKeyMaterial: [UInt8](repeating: 0x0B, count: 22),
            salt: Self.bytes("000102030405060708090a0b0c"),
            info: Self.bytes("f0f1f2f3f4f5f6f7f8f9"),
            outputByteCount: 42)
        #expect(okm == Self.bytes("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
    }

    /// RFC 5869 appendix A.3 (test case 3: empty salt and info).
    @Test func hkdfSHA256RFC5869Case3() {
        let okm = KeyDerivation.hkdfSHA256(
            inputKeyMaterial: [UInt8](repeating: 0x0B, count: 22), salt: [], info: [], outputByteCount: 42)
        #expect(okm == Self.bytes("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
    }

    /// RFC 7914 section 12, first vector (N = 16, r = 1, p = 1; empty password and salt).
    @Test func scryptRFC7914EmptyVector() throws {
        let key = try KeyDerivation.scrypt(password: [], salt: [], n: 16, r: 1, p: 1, outputByteCount: 64)
        #expect(key == Self.bytes("""
            77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442
            fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906
            """))
    }

    /// RFC 7914 section 12, second vector (N = 1024, r = 8, p = 16: 1 MiB, fast enough).
    @Test func scryptRFC7914PasswordVector() throws {
        let key = try KeyDerivation.scrypt(
            password: Array("password".utf8), salt: Array("NaCl".utf8), n: 1024, r: 8, p: 16, outputByteCount: 64)
        #expect(key == Self.bytes("""
            fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162
            2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640
            """))
    }

    @Test func scryptRejectsBadParametersWithoutTrapping() {
        let cases: [(n: Int, r: Int, p: Int, out: Int)] = [
            (0, 1, 1, 32), (1, 1, 1, 32), (15, 1, 1, 32), (-16, 1, 1, 32), (16, 0, 1, 32), (16, 1, 0, 32),
            (16, 1, 1, 0), (16, 1, 1, 5000), (1 << 40, 8, 1, 32), (1 << 20, 1 << 40, 1, 32), (16, 1, Int.max, 32),
            (1 << 62, 1 << 62, 1 << 62, 32),
        ]
        for c in cases {
            #expect(throws: KeyDerivationError.self, "n \(c.n) r \(c.r) p \(c.p) out \(c.out)") {
                try KeyDerivation.scrypt(password: [1], salt: [2], n: c.n, r: c.r, p: c.p, outputByteCount: c.out)
            }
        }
    }
}

@Suite struct SecureRandomTests {
    @Test func producesTheRequestedCountOfVaryingBytes() {
        #expect(SecureRandom.bytes(0) == [])
        for count in [1, 7, 8, 9, 33] { #expect(SecureRandom.bytes(count).count == count) }
        let a = SecureRandom.bytes(32), b = SecureRandom.bytes(32)
        #expect(a != b)  // 2^-256 chance of a false failure
        // 4096 random bytes hit most byte values: a stuck or constant generator would not.
        #expect(Set(SecureRandom.bytes(4096)).count > 200)
    }
}
