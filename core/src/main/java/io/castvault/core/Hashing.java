package io.castvault.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the one digest the service vouches with (chunks, recordings, node keys). */
public final class Hashing {
    /**
     * Never updated, only cloned: getInstance looks the provider up and constructs reflectively on every call,
     * which JFR showed as about a twentieth of the service's CPU on {@code list} (a token is hashed per request).
     */
    private static final MessageDigest PROTOTYPE = newSha256();

    private Hashing() {
    }

    /** A fresh SHA-256 digest, for one caller at a time. */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return newSha256();
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        return sha256().digest(data);
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
