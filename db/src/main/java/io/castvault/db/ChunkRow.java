package io.castvault.db;

/** One stored chunk as the database vouches for it. */
public record ChunkRow(int index, byte[] sha256, long byteLength, int eventCount, double lastEventTime,
                       boolean hasHeader) {
}
