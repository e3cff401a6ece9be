import BasinCore

extension Basin {
    /// A hasher whose 32-byte output is the key a value streamed through it has in this basin
    /// (keyed BLAKE3 in an encrypted basin), for checking large values without holding them.
    public nonisolated func makeKeyHasher() -> BLAKE3Hasher { keyFunction.makeHasher() }
}
