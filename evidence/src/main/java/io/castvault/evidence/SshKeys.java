package io.castvault.evidence;

import io.castvault.core.Hashing;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * Ed25519 keys in the forms OpenSSH uses: the {@code ssh-ed25519} wire blob, the one-line public key text, the
 * {@code SHA256:} fingerprint exactly as ssh-keygen prints it. The JDK's EdDSA does the cryptography; only the
 * fixed DER prefixes of its X.509 and PKCS#8 encodings are added or stripped here.
 */
public final class SshKeys {
    public static final String KEY_TYPE = "ssh-ed25519";
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final byte[] PKCS8_PREFIX = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
            0x04, 0x22, 0x04, 0x20};

    private SshKeys() {
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK since 15 has Ed25519", e);
        }
    }

    /** The 32-byte public point. */
    public static byte[] rawPublic(PublicKey key) {
        byte[] der = key.getEncoded();
        if (der.length != X509_PREFIX.length + 32 || !Arrays.equals(der, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
            throw new IllegalArgumentException("not an Ed25519 public key");
        }
        return Arrays.copyOfRange(der, X509_PREFIX.length, der.length);
    }

    /** The 32-byte private seed. */
    public static byte[] seed(PrivateKey key) {
        byte[] der = key.getEncoded();
        if (der.length != PKCS8_PREFIX.length + 32 || !Arrays.equals(der, 0, PKCS8_PREFIX.length, PKCS8_PREFIX, 0, PKCS8_PREFIX.length)) {
            throw new IllegalArgumentException("not an Ed25519 private key");
        }
        return Arrays.copyOfRange(der, PKCS8_PREFIX.length, der.length);
    }

    public static PrivateKey privateFromSeed(byte[] seed) {
        return decode(PKCS8_PREFIX, seed, true);
    }

    public static PublicKey publicFromRaw(byte[] raw) {
        return decode(X509_PREFIX, raw, false);
    }

    private static <K> K decode(byte[] prefix, byte[] raw, boolean isPrivate) {
        if (raw.length != 32) {
            throw new IllegalArgumentException("an Ed25519 key is 32 bytes");
        }
        byte[] der = new byte[prefix.length + 32];
        System.arraycopy(prefix, 0, der, 0, prefix.length);
        System.arraycopy(raw, 0, der, prefix.length, 32);
        try {
            KeyFactory f = KeyFactory.getInstance("Ed25519");
            @SuppressWarnings("unchecked")
            K key = (K) (isPrivate ? f.generatePrivate(new PKCS8EncodedKeySpec(der)) : f.generatePublic(new X509EncodedKeySpec(der)));
            return key;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a valid Ed25519 key", e);
        }
    }

    /** The SSH wire form: string "ssh-ed25519", string key. */
    public static byte[] blob(byte[] rawPublic) {
        return new SshWire().string(KEY_TYPE).string(rawPublic).bytes();
    }

    /** {@code ssh-ed25519 AAAA…} as in authorized_keys and allowed_signers. */
    public static String publicKeyText(byte[] rawPublic) {
        return KEY_TYPE + " " + Base64.getEncoder().encodeToString(blob(rawPublic));
    }

    /** {@code SHA256:…}, unpadded base64 of the blob's SHA-256, as {@code ssh-keygen -l} prints it. */
    public static String fingerprint(byte[] rawPublic) {
        return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(Hashing.sha256(blob(rawPublic)));
    }

    /** Parses {@code ssh-ed25519 AAAA… [comment]} to the raw public key. */
    public static byte[] parsePublicKeyText(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length < 2 || !parts[0].equals(KEY_TYPE)) {
            throw new IllegalArgumentException("not an ssh-ed25519 public key");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("public key is not base64", e);
        }
        return parseBlob(blob);
    }

    public static byte[] parseBlob(byte[] blob) {
        SshWire.Reader r = new SshWire.Reader(blob);
        if (!KEY_TYPE.equals(r.text())) {
            throw new IllegalArgumentException("not an ssh-ed25519 key");
        }
        byte[] raw = r.string();
        r.requireEnd();
        if (raw.length != 32) {
            throw new IllegalArgumentException("an Ed25519 key is 32 bytes");
        }
        return raw;
    }
}
