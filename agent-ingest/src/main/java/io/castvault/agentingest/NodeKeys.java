package io.castvault.agentingest;

import io.castvault.core.Hashing;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Node keys: 32 random bytes as hex, shown once; the database keeps only the SHA-256 of the key string. */
public final class NodeKeys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private NodeKeys() {
    }

    public static String generate() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return HexFormat.of().formatHex(key);
    }

    public static byte[] hash(String nodeKey) {
        return Hashing.sha256(nodeKey.getBytes(StandardCharsets.UTF_8));
    }
}
