package io.castvault.evidence;

import io.castvault.core.CastvaultException;
import io.castvault.core.ErrorCode;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * CASTVAULT_MASTER_KEY: 32 bytes (base64) that encrypt every org's private signing key with AES-256-GCM. The
 * database alone then holds no usable private key. Production refuses to start without it; development creates
 * one in the data folder so {@code scripts/run} works on a fresh machine.
 */
public final class MasterKey {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int NONCE = 12;
    private final SecretKeySpec key;

    private MasterKey(byte[] raw) {
        this.key = new SecretKeySpec(raw, "AES");
    }

    public static MasterKey ofBase64(String base64) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("CASTVAULT_MASTER_KEY is not base64");
        }
        if (raw.length != 32) {
            throw new IllegalStateException("CASTVAULT_MASTER_KEY must be 32 bytes (base64), not " + raw.length);
        }
        return new MasterKey(raw);
    }

    /**
     * The configured key; else, in development only, the one kept in {@code dataDir/master.key} (created on first
     * use, readable by its owner only).
     */
    public static MasterKey resolve(String configured, boolean development, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return ofBase64(configured);
        }
        if (!development) {
            throw new IllegalStateException("CASTVAULT_MASTER_KEY is required in production (32 random bytes, base64; "
                    + "e.g. openssl rand -base64 32). Set CASTVAULT_ENV=development to have one generated under .data/");
        }
        Path file = dataDir.resolve("master.key");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                byte[] raw = new byte[32];
                RANDOM.nextBytes(raw);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    return ofBase64(Files.readString(file, StandardCharsets.US_ASCII));
                }
                Files.writeString(file, Base64.getEncoder().encodeToString(raw) + "\n", StandardOpenOption.TRUNCATE_EXISTING);
            }
            return ofBase64(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the development master key in " + file, e);
        }
    }

    /** nonce || ciphertext || tag; {@code context} (org and key id) is bound as associated data. */
    public byte[] seal(byte[] plaintext, String context) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] ct = c.doFinal(plaintext);
            byte[] out = Arrays.copyOf(nonce, NONCE + ct.length);
            System.arraycopy(ct, 0, out, NONCE, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    public byte[] open(byte[] sealed, String context) {
        if (sealed.length < NONCE + 16) {
            throw new CastvaultException(ErrorCode.INTERNAL_ERROR, "a stored signing key is truncated");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 0, NONCE));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(sealed, NONCE, sealed.length - NONCE);
        } catch (AEADBadTagException e) {
            throw new CastvaultException(ErrorCode.INTERNAL_ERROR,
                    "a stored signing key does not open with CASTVAULT_MASTER_KEY (wrong master key?)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }
}
