package io.castvault.core;

import java.nio.charset.StandardCharsets;

/**
 * The asciicast v2 header line the cast download starts with: either the one the recorder sent or the
 * deterministic default, so that the same stored chunks always produce the same bytes (and the same hash).
 */
public record CastHeader(String line) {
    public static final CastHeader DEFAULT = new CastHeader("{\"version\": 2, \"width\": 80, \"height\": 24}");

    public byte[] bytesWithNewline() {
        return (line + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
