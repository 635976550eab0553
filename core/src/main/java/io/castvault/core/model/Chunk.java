package io.castvault.core.model;

/**
 * One chunk as the database knows it. {@code stored}: its object was put and the chunk acknowledged; otherwise it
 * is a claim (the object may or may not be in the store yet).
 */
public record Chunk(int index, byte[] sha256, long byteLength, int eventCount, double lastEventTime,
                    boolean hasHeader, boolean stored) {
}
