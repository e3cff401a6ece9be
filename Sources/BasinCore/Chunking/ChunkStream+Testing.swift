extension ChunkStream {
    /// Bytes the stream has allocated for its buffer: tests check it stays near `maxSize` + one piece.
    package var storageCapacity: Int { storageCount }
}
