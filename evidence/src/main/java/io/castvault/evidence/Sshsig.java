package io.castvault.evidence;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;

/**
 * Detached signatures in OpenSSH's SSHSIG format (PROTOCOL.sshsig) with Ed25519 and SHA-512, so that
 * {@code ssh-keygen -Y verify} checks them with nothing but OpenSSH. Ed25519 is deterministic: the same key
 * signing the same bytes always gives the same signature file.
 */
public final class Sshsig {
    public static final String RECORDING_NAMESPACE = "castvault-recording";
    public static final String DIGEST_NAMESPACE = "castvault-digest";
    private static final byte[] MAGIC = "SSHSIG".getBytes(StandardCharsets.US_ASCII);
    private static final String HASH = "sha512";
    private static final String BEGIN = "-----BEGIN SSH SIGNATURE-----";
    private static final String END = "-----END SSH SIGNATURE-----";

    private Sshsig() {
    }

    /** A parsed signature file: who signed (raw Ed25519 public key), in which namespace, and the raw signature. */
    public record Parsed(byte[] publicKey, String namespace, byte[] signature) {
    }

    /** The armored signature file for {@code message}. */
    public static String sign(PrivateKey key, byte[] rawPublic, String namespace, byte[] message) {
        byte[] sig;
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(signedData(namespace, message));
            sig = s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
        byte[] blob = new SshWire().raw(MAGIC).uint32(1)
                .string(SshKeys.blob(rawPublic))
                .string(namespace)
                .string(new byte[0])
                .string(HASH)
                .string(new SshWire().string(SshKeys.KEY_TYPE).string(sig).bytes())
                .bytes();
        return armor(blob);
    }

    public static Parsed parse(String armored) {
        String text = armored.strip();
        if (!text.startsWith(BEGIN) || !text.endsWith(END)) {
            throw new IllegalArgumentException("not an SSH signature");
        }
        String body = text.substring(BEGIN.length(), text.length() - END.length()).replaceAll("\\s", "");
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SSH signature is not base64", e);
        }
        SshWire.Reader r = new SshWire.Reader(blob);
        if (!Arrays.equals(r.raw(MAGIC.length), MAGIC) || r.uint32() != 1) {
            throw new IllegalArgumentException("not an SSHSIG version 1 signature");
        }
        byte[] publicKey = SshKeys.parseBlob(r.string());
        String namespace = r.text();
        r.string(); // reserved
        if (!HASH.equals(r.text())) {
            throw new IllegalArgumentException("only sha512 SSH signatures are accepted");
        }
        SshWire.Reader sig = new SshWire.Reader(r.string());
        r.requireEnd();
        if (!SshKeys.KEY_TYPE.equals(sig.text())) {
            throw new IllegalArgumentException("not an Ed25519 signature");
        }
        byte[] raw = sig.string();
        sig.requireEnd();
        return new Parsed(publicKey, namespace, raw);
    }

    /** True when {@code parsed} is a valid signature of {@code message} in {@code namespace}. */
    public static boolean verify(Parsed parsed, String namespace, byte[] message) {
        if (!namespace.equals(parsed.namespace())) {
            return false;
        }
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(SshKeys.publicFromRaw(parsed.publicKey()));
            s.update(signedData(namespace, message));
            return s.verify(parsed.signature());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] signedData(String namespace, byte[] message) {
        MessageDigest sha512;
        try {
            sha512 = MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-512", e);
        }
        return new SshWire().raw(MAGIC).string(namespace).string(new byte[0]).string(HASH)
                .string(sha512.digest(message)).bytes();
    }

    private static String armor(byte[] blob) {
        String b64 = Base64.getEncoder().encodeToString(blob);
        StringBuilder sb = new StringBuilder(BEGIN).append('\n');
        for (int i = 0; i < b64.length(); i += 70) {
            sb.append(b64, i, Math.min(b64.length(), i + 70)).append('\n');
        }
        return sb.append(END).append('\n').toString();
    }
}
