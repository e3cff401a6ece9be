import BasinCore
import Testing

@Suite struct AEADTests {
    static let bytes = CoreTestSupport.bytes(hex:)

    /// RFC 8439 section 2.8.2.
    @Test func chaCha20Poly1305RFC8439Vector() throws {
        let key = try AEADKey(bytes: Self.bytes("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"))
        let nonce = Self.bytes("070000004041424344454647")
        let aad = Self.bytes("50515253c0c1c2c3c4c5c6c7")
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let expected = Self.bytes("""
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
            3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
            92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
            3ff4def08e4b7a9de576d26586cec64b6116
            1ae10b594f09e26a7e902ecbd0600691
            """)
        let sealed = try AEAD.seal(plaintext, key: key, nonce: nonce, associatedData: aad, algorithm: .chacha20Poly1305)
        #expect(sealed == expected)
        #expect(try AEAD.open(expected, key: key, nonce: nonce, associatedData: aad, algorithm: .chacha20Poly1305) == plaintext)
    }

    /// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16 (AES-256, 96-bit IV, AAD).
    @Test func aes256GCMTestCase16() throws {
        let key = try AEADKey(bytes: Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = Self.bytes("cafebabefacedbaddecaf888")
        let aad = Self.bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let plaintext = Self.bytes("""
            d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
            1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39
            """)
        let expected = Self.bytes("""
            522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
            8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
            76fc6ece0f4e1768cddf8853bb2d551b
            """)
        let sealed = try AEAD.seal(plaintext, key: key, nonce: nonce, associatedData: aad, algorithm: .aes256GCM)
        #expect(sealed == expected)
        #expect(try AEAD.open(expected, key: key, nonce: nonce, associatedData: aad, algorithm: .aes256GCM) == plaintext)
    }

    @Test(arguments: AEADAlgorithm.allCases)
    func tamperingIsDetected(algorithm: AEADAlgorithm) throws {
        var rng = CoreTestSupport.SplitMix64(seed: UInt64(algorithm.rawValue))
        let key = AEADKey.random()
        let nonce = AEAD.nonce(counter: 42)
        let aad = Array("stratum 7, grain kind 1".utf8)
        let plaintext = rng.bytes(1000)
        let sealed = try AEAD.seal(plaintext, key: key, nonce: nonce, associatedData: aad, algorithm: algorithm)
        #expect(sealed.count == plaintext.count + AEAD.tagByteCount)
        #expect(try AEAD.open(sealed, key: key, nonce: nonce, associatedData: aad, algorithm: algorithm) == plaintext)

        func rejects(_ box: [UInt8], key: AEADKey = key, nonce: [UInt8] = nonce, aad: [UInt8] = aad,
                     algorithm: AEADAlgorithm = algorithm, _ comment: Comment) {
            #expect(throws: AEADError.authenticationFailed, comment) {
                try AEAD.open(box, key: key, nonce: nonce, associatedData: aad, algorithm: algorithm)
            }
        }
        for index in [0, 500, plaintext.count - 1] {  // ciphertext bytes
            var box = sealed
            box[index] ^= 0x01
            rejects(box, "ciphertext byte \(index)")
        }
        for index in plaintext.count..<sealed.count {  // every tag byte
            var box = sealed
            box[index] ^= 0x80
            rejects(box, "tag byte \(index)")
        }
        rejects(sealed, aad: aad + [0], "longer AAD")
        rejects(sealed, aad: [], "empty AAD")
        rejects(sealed, nonce: AEAD.nonce(counter: 43), "other nonce")
        rejects(sealed, key: AEADKey.random(), "other key")
        rejects(sealed, algorithm: algorithm == .aes256GCM ? .chacha20Poly1305 : .aes256GCM, "other algorithm")
        rejects(Array(sealed.dropLast()), "one byte short")
        rejects(Array(sealed.dropFirst()), "first byte missing")
    }

    @Test(arguments: AEADAlgorithm.allCases)
    func shortAndEmptyBoxes(algorithm: AEADAlgorithm) throws {
        let key = AEADKey.random()
        let nonce = AEAD.nonce(counter: 0)
        for count in [0, 1, 15] {
            #expect(throws: AEADError.truncated(byteCount: count)) {
                try AEAD.open([UInt8](repeating: 0, count: count), key: key, nonce: nonce, associatedData: [], algorithm: algorithm)
            }
        }
        // An empty plaintext seals to a bare tag, which opens; 16 zero bytes do not.
        let tagOnly = try AEAD.seal([], key: key, nonce: nonce, associatedData: [], algorithm: algorithm)
        #expect(tagOnly.count == 16)
        #expect(try AEAD.open(tagOnly, key: key, nonce: nonce, associatedData: [], algorithm: algorithm) == [])
        #expect(throws: AEADError.authenticationFailed) {
            try AEAD.open([UInt8](repeating: 0, count: 16), key: key, nonce: nonce, associatedData: [], algorithm: algorithm)
        }
    }

    @Test func badSizesThrow() throws {
        #expect(throws: AEADError.invalidKeySize(31)) { try AEADKey(bytes: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: AEADError.invalidKeySize(0)) { try AEADKey(bytes: []) }
        let key = AEADKey.random()
        #expect(throws: AEADError.invalidNonceSize(8)) {
            try AEAD.seal([1], key: key, nonce: [UInt8](repeating: 0, count: 8), associatedData: [], algorithm: .aes256GCM)
        }
        #expect(throws: AEADError.invalidNonceSize(13)) {
            try AEAD.open([UInt8](repeating: 0, count: 20), key: key, nonce: [UInt8](repeating: 0, count: 13), associatedData: [], algorithm: .chacha20Poly1305)
        }
    }

    @Test func keyBytesRoundTrip() throws {
        let raw = (0..<32).map { UInt8($0) }
        #expect(try AEADKey(bytes: raw).bytes == raw)
        let a = AEADKey.random(), b = AEADKey.random()
        #expect(a.bytes.count == 32)
        #expect(a.bytes != b.bytes)
    }

    @Test func nonceLayout() {
        #expect(AEAD.nonce(counter: 0) == [UInt8](repeating: 0, count: 12))
        #expect(AEAD.nonce(counter: 0x0102_0304_0506_0708) == [0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(AEAD.nonce(counter: .max) == [0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
    }
}
