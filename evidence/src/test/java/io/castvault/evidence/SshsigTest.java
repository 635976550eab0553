package io.castvault.evidence;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SSHSIG, keys and fingerprints against the real OpenSSH binary, both directions. */
class SshsigTest {
    static final String SSH_KEYGEN = "/usr/bin/ssh-keygen";

    @TempDir
    Path dir;

    record Result(int exit, String out) {
    }

    static Result run(Path cwd, Path stdin, String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
        if (stdin != null) {
            pb.redirectInput(stdin.toFile());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    @Test
    void sshKeygenVerifiesOurSignaturesAndRejectsTamperingAndOtherNamespaces() throws Exception {
        KeyPair pair = SshKeys.generate();
        byte[] raw = SshKeys.rawPublic(pair.getPublic());
        UUID org = UUID.randomUUID();
        byte[] message = "{\"a\":1}\n\u00e9 bytes".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("msg"), message);
        String sig = Sshsig.sign(pair.getPrivate(), raw, Sshsig.RECORDING_NAMESPACE, message);
        Files.writeString(dir.resolve("msg.sig"), sig);
        Files.writeString(dir.resolve("allowed_signers"), SigningKeys.allowedSigners(org,
                List.of(new SigningKeys.PublicKeyInfo(SshKeys.fingerprint(raw), SshKeys.publicKeyText(raw), null, null))));

        Result ok = run(dir, dir.resolve("msg"), SSH_KEYGEN, "-Y", "verify", "-f", "allowed_signers", "-I", org.toString(),
                "-n", Sshsig.RECORDING_NAMESPACE, "-s", "msg.sig");
        assertEquals(0, ok.exit(), ok.out());
        assertTrue(ok.out().contains("Good \"castvault-recording\" signature for " + org), ok.out());
        assertTrue(ok.out().contains(SshKeys.fingerprint(raw)), "ssh-keygen prints our fingerprint: " + ok.out());

        Result novalidate = run(dir, dir.resolve("msg"), SSH_KEYGEN, "-Y", "check-novalidate", "-n",
                Sshsig.RECORDING_NAMESPACE, "-s", "msg.sig");
        assertEquals(0, novalidate.exit(), novalidate.out());

        Result wrongNs = run(dir, dir.resolve("msg"), SSH_KEYGEN, "-Y", "verify", "-f", "allowed_signers", "-I",
                org.toString(), "-n", Sshsig.DIGEST_NAMESPACE, "-s", "msg.sig");
        assertNotEquals(0, wrongNs.exit(), wrongNs.out());

        Result wrongPrincipal = run(dir, dir.resolve("msg"), SSH_KEYGEN, "-Y", "verify", "-f", "allowed_signers", "-I",
                UUID.randomUUID().toString(), "-n", Sshsig.RECORDING_NAMESPACE, "-s", "msg.sig");
        assertNotEquals(0, wrongPrincipal.exit(), wrongPrincipal.out());

        message[0] ^= 1;
        Files.write(dir.resolve("tampered"), message);
        Result bad = run(dir, dir.resolve("tampered"), SSH_KEYGEN, "-Y", "verify", "-f", "allowed_signers", "-I",
                org.toString(), "-n", Sshsig.RECORDING_NAMESPACE, "-s", "msg.sig");
        assertNotEquals(0, bad.exit(), bad.out());
    }

    @Test
    void javaVerifierAcceptsSshKeygenSignaturesAndAgreesOnFingerprints() throws Exception {
        Result gen = run(dir, null, SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", "key");
        assertEquals(0, gen.exit(), gen.out());
        Files.writeString(dir.resolve("msg"), "manifest bytes\n");
        Result sign = run(dir, null, SSH_KEYGEN, "-Y", "sign", "-f", "key", "-n", Sshsig.DIGEST_NAMESPACE, "msg");
        assertEquals(0, sign.exit(), sign.out());
        byte[] raw = SshKeys.parsePublicKeyText(Files.readString(dir.resolve("key.pub")));
        Result fp = run(dir, null, SSH_KEYGEN, "-l", "-E", "sha256", "-f", "key.pub");
        assertTrue(fp.out().contains(SshKeys.fingerprint(raw)), fp.out() + " vs " + SshKeys.fingerprint(raw));

        Sshsig.Parsed parsed = Sshsig.parse(Files.readString(dir.resolve("msg.sig")));
        assertArrayEquals(raw, parsed.publicKey());
        byte[] msg = Files.readAllBytes(dir.resolve("msg"));
        assertTrue(Sshsig.verify(parsed, Sshsig.DIGEST_NAMESPACE, msg));
        assertFalse(Sshsig.verify(parsed, Sshsig.RECORDING_NAMESPACE, msg), "namespace is part of what is signed");
        msg[0] ^= 1;
        assertFalse(Sshsig.verify(parsed, Sshsig.DIGEST_NAMESPACE, msg));
    }

    @Test
    void signaturesAreDeterministicAndKeysRoundTripThroughTheirSeed() {
        KeyPair pair = SshKeys.generate();
        byte[] raw = SshKeys.rawPublic(pair.getPublic());
        byte[] m = "x".getBytes(StandardCharsets.UTF_8);
        String a = Sshsig.sign(pair.getPrivate(), raw, Sshsig.DIGEST_NAMESPACE, m);
        String b = Sshsig.sign(SshKeys.privateFromSeed(SshKeys.seed(pair.getPrivate())), raw, Sshsig.DIGEST_NAMESPACE, m);
        assertEquals(a, b);
        assertArrayEquals(raw, SshKeys.parsePublicKeyText(SshKeys.publicKeyText(raw)));
    }

    @Test
    void canonicalJsonSortsKeysAndDropsWhitespace() {
        ObjectNode n = CanonicalJson.MAPPER.createObjectNode();
        n.put("b", 30.0).put("a", "é\"\n").put("c", 1.25);
        n.putArray("z").add(1).addObject().put("y", true).putNull("x");
        assertEquals("{\"a\":\"é\\\"\\n\",\"b\":30,\"c\":1.25,\"z\":[1,{\"x\":null,\"y\":true}]}",
                new String(CanonicalJson.bytes(n), StandardCharsets.UTF_8));
    }

    @Test
    void masterKeySealsBoundToItsContextAndRefusesAnotherKey() {
        MasterKey k = MasterKey.ofBase64("Y2FzdHZhdWx0LXRlc3QtbWFzdGVyLWtleS0zMmJ5dGU=");
        byte[] secret = "seed-seed-seed-seed-seed-seed-32".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = k.seal(secret, "org:a");
        assertArrayEquals(secret, k.open(sealed, "org:a"));
        assertThrows(RuntimeException.class, () -> k.open(sealed, "org:b"));
        MasterKey other = MasterKey.ofBase64("b3RoZXItbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=");
        assertThrows(RuntimeException.class, () -> other.open(sealed, "org:a"));
        assertThrows(IllegalStateException.class, () -> MasterKey.ofBase64("c2hvcnQ="));
        assertThrows(IllegalStateException.class, () -> MasterKey.resolve("", false, dir));
    }

    @Test
    void developmentCreatesAnOwnerOnlyMasterKeyOnceAndKeepsItAcrossStarts() throws Exception {
        Path data = dir.resolve("data");
        MasterKey first = MasterKey.resolve(null, true, data);
        Path file = data.resolve("master.key");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        String stored = Files.readString(file, StandardCharsets.US_ASCII);
        assertEquals(32, Base64.getDecoder().decode(stored.strip()).length);
        byte[] seed = "seed-seed-seed-seed-seed-seed-32".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = first.seal(seed, "org:a");

        // the next start, still without CASTVAULT_MASTER_KEY: the same file, the same key
        MasterKey second = MasterKey.resolve("", true, data);
        assertEquals(stored, Files.readString(file, StandardCharsets.US_ASCII), "the key file is not regenerated");
        assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
        assertArrayEquals(seed, second.open(sealed, "org:a"), "signing keys sealed before the restart still open");
        // a new key (another data folder) would not open them: the reuse above is what keeps them usable
        assertThrows(RuntimeException.class, () -> MasterKey.resolve(null, true, dir.resolve("other")).open(sealed, "org:a"));
    }

    @Test
    void theCliRefusesToCallAnEmptyCopyClean() throws Exception {
        UUID org = UUID.randomUUID();
        byte[] raw = SshKeys.rawPublic(SshKeys.generate().getPublic());
        Path signers = Files.writeString(dir.resolve("allowed_signers"), org + " " + SshKeys.publicKeyText(raw) + "\n");
        Files.createDirectories(dir.resolve("copy/digests"));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.PrintStream ps = new java.io.PrintStream(out, true, StandardCharsets.UTF_8);
        String[] args = {"--dir", dir.resolve("copy").toString(), "--org", org.toString(), "--allowed-signers", signers.toString()};
        assertEquals(1, VerifyCli.run(args, java.util.Map.of(), ps, ps));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("nothing was verified"), out.toString(StandardCharsets.UTF_8));
        assertEquals(2, VerifyCli.run(new String[] {"--dir", "x"}, java.util.Map.of(), ps, ps), "usage error");
        Path noKeys = Files.writeString(dir.resolve("other_signers"), UUID.randomUUID() + " " + SshKeys.publicKeyText(raw) + "\n");
        assertEquals(2, VerifyCli.run(new String[] {"--dir", dir.toString(), "--org", org.toString(), "--allowed-signers",
                noKeys.toString()}, java.util.Map.of(), ps, ps), "allowed_signers without the org's key");
    }

    @Test
    void allowedSignersParsingTakesOnlyTheOrgsKeys() {
        UUID org = UUID.randomUUID();
        List<byte[]> raws = new ArrayList<>();
        StringBuilder sb = new StringBuilder("# comment\n");
        for (int i = 0; i < 2; i++) {
            byte[] raw = SshKeys.rawPublic(SshKeys.generate().getPublic());
            raws.add(raw);
            sb.append(SigningKeys.allowedSigners(org, List.of(new SigningKeys.PublicKeyInfo("", SshKeys.publicKeyText(raw), null, null))));
        }
        sb.append(UUID.randomUUID()).append(' ').append(SshKeys.publicKeyText(SshKeys.rawPublic(SshKeys.generate().getPublic()))).append('\n');
        List<byte[]> parsed = Verifier.allowedKeys(sb.toString(), org);
        assertEquals(2, parsed.size());
        assertArrayEquals(raws.get(1), parsed.get(1));
    }
}
