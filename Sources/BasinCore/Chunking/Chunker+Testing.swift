extension Chunker {
    /// Bytes the chunker has allocated for its buffer: tests check it stays within `maxSize + readSize`.
    package var storageCapacity: Int { stream.storageCapacity }
}
