package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.TestSql;
import io.castvault.evidence.DigestWriter;
import io.castvault.evidence.VerifyCli;
import io.castvault.recording.RetentionService;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14: signed manifests, the digest chain, the offline verifier's tamper matrix on a copy of the bucket,
 * ssh-keygen on every signature, and the evidence bundle verified with the commands of its VERIFY.md.
 */
class EvidenceTest extends ServiceTest {
    static TestOrg org;
    static UUID kept;
    static UUID adminDeleted;
    static UUID expired;
    static UUID late;
    static UUID last;
    static String allowedSigners;
    static List<ObjectKey> digests;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void history() {
        org = app.newOrg(true);
        DigestWriter writer = app.bean(DigestWriter.class);
        kept = RetentionTest.recording(app, org, 1);
        adminDeleted = RetentionTest.recording(app, org, 1);
        expired = RetentionTest.recording(app, org, 91 * 24);
        backdateSeal(expired, 91 * 24);
        writer.runOrg(org.orgId(), true).orElseThrow();
        assertEquals(200, org.asAdmin(Map.of("action", "delete", "session_id", adminDeleted.toString())).status());
        app.bean(RetentionService.class).sweep();
        late = RetentionTest.recording(app, org, 1);
        writer.runOrg(org.orgId(), true).orElseThrow();
        last = RetentionTest.recording(app, org, 1);
        writer.runOrg(org.orgId(), true).orElseThrow();
        TestApp.Response keys = org.asMember(Map.of("action", "get_public_keys"));
        assertEquals(200, keys.status(), keys.body());
        allowedSigners = keys.data().get("allowed_signers").asText();
        digests = app.blobs().list(ObjectKey.digestPrefix(org.orgId())).stream()
                .filter(k -> k.value().endsWith(".json")).toList();
    }

    static void backdateSeal(UUID id, double ageHours) {
        app.db().acrossOrgs(tx -> TestSql.execute(tx,
                "UPDATE evidence_seals SET started_at = now() - make_interval(secs => ?) WHERE recording_id = ?",
                ageHours * 3600, id));
    }

    // --- helpers --------------------------------------------------------------------------------------------

    /** A copy of the org's objects on disk, as {@code aws s3 sync} would make it. */
    static Path copyBucket(TestOrg o, String name) {
        return copyBucket(app, tmp, o, name);
    }

    static Path copyBucket(TestApp app, Path tmp, TestOrg o, String name) {
        Path dir = tmp.resolve(name);
        for (ObjectKey.Prefix p : ObjectKey.orgPrefixes(o.orgId())) {
            for (ObjectKey k : app.blobs().list(p)) {
                Path f = dir.resolve(k.value());
                try (InputStream in = app.blobs().get(k)) {
                    Files.createDirectories(f.getParent());
                    Files.write(f, in.readAllBytes());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return dir;
    }

    record Run(int exit, String out) {
    }

    static Run verify(Path dir, UUID orgId, String signers, String... extra) throws IOException {
        return verify(tmp, dir, orgId, signers, extra);
    }

    static Run verify(Path tmp, Path dir, UUID orgId, String signers, String... extra) throws IOException {
        Path signersFile = Files.createTempFile(tmp, "allowed_signers", "");
        Files.writeString(signersFile, signers);
        List<String> args = new ArrayList<>(List.of("--dir", dir.toString(), "--org", orgId.toString(),
                "--allowed-signers", signersFile.toString()));
        args.addAll(List.of(extra));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = VerifyCli.run(args.toArray(String[]::new), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8));
    }

    /** Verifies a tampered copy: a non-zero exit and a row naming {@code kind} for {@code subject}. */
    static void assertDetected(Path dir, String kind, String subject) throws IOException {
        Run r = verify(dir, org.orgId(), allowedSigners);
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith(kind) && l.contains(subject)),
                "expected " + kind + " for " + subject + " in:\n" + r.out());
    }

    static void flipByte(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[b.length / 2] ^= 0x20;
        Files.write(file, b);
    }

    static Path file(Path dir, ObjectKey key) {
        return dir.resolve(key.value());
    }

    static SshsigRun sshKeygenVerify(Path cwd, String signers, String principal, String namespace, Path sig, Path msg)
            throws Exception {
        Path f = Files.createTempFile(tmp, "signers", "");
        Files.writeString(f, signers);
        Process p = new ProcessBuilder("/usr/bin/ssh-keygen", "-Y", "verify", "-f", f.toString(), "-I", principal,
                "-n", namespace, "-s", sig.toString()).directory(cwd.toFile()).redirectInput(msg.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new SshsigRun(p.waitFor(), out);
    }

    record SshsigRun(int exit, String out) {
    }

    // --- tests ----------------------------------------------------------------------------------------------

    @Test
    void cleanBucketAfterRetentionAndAdminDeleteVerifiesOk() throws Exception {
        assertEquals(3, digests.size(), digests.toString());
        Path dir = copyBucket(org, "clean");
        Run r = verify(dir, org.orgId(), allowedSigners);
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("REMOVED") && l.contains(adminDeleted.toString())
                && l.contains("by admin " + org.adminId())), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("REMOVED") && l.contains(expired.toString())
                && l.contains("by retention (90 days)")), r.out());
        for (UUID s : List.of(kept, late, last)) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("OK") && l.contains(s.toString())), r.out());
        }
        // straight from the bucket (--s3 with the S3_* variables) the verdict is the same
        io.castvault.storage.S3Settings s3 = app.bean(io.castvault.api.config.S3Config.class).settings();
        Path signersFile = Files.writeString(tmp.resolve("allowed_signers.s3"), allowedSigners);
        ByteArrayOutputStream s3out = new ByteArrayOutputStream();
        int s3exit = VerifyCli.run(new String[] {"--s3", "--org", org.orgId().toString(), "--allowed-signers", signersFile.toString()},
                Map.of("S3_ENDPOINT", s3.endpoint().toString(), "S3_BUCKET", s3.bucket(), "S3_REGION", s3.region(),
                        "S3_ACCESS_KEY", s3.accessKey(), "S3_SECRET_KEY", s3.secretKey()),
                new PrintStream(s3out, true, StandardCharsets.UTF_8), new PrintStream(s3out, true, StandardCharsets.UTF_8));
        assertEquals(0, s3exit, s3out.toString(StandardCharsets.UTF_8));
        assertEquals(r.out().lines().count(), s3out.toString(StandardCharsets.UTF_8).lines().count());

        Run json = verify(dir, org.orgId(), allowedSigners, "--json");
        assertEquals(0, json.exit());
        assertTrue(TestApp.JSON.readTree(json.out()).get("ok").asBoolean());

        TestApp.Response action = org.asAuditor(Map.of("action", "verify"));
        assertEquals(200, action.status(), action.body());
        assertTrue(action.data().get("ok").asBoolean(), action.body());
        assertEquals(0, action.data().get("findings").size());
        assertEquals(403, org.asMember(Map.of("action", "verify")).status());
    }

    @Test
    void sshKeygenAcceptsEveryManifestAndDigestSignature() throws Exception {
        Path dir = copyBucket(org, "keygen");
        int checked = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json.sig")).toList()) {
                Path msg = Path.of(f.toString().substring(0, f.toString().length() - 4));
                String ns = msg.getFileName().toString().equals("manifest.json") ? "castvault-recording" : "castvault-digest";
                SshsigRun r = sshKeygenVerify(dir, allowedSigners, org.orgId().toString(), ns, f, msg);
                assertEquals(0, r.exit(), f + ": " + r.out());
                assertTrue(r.out().contains("Good \"" + ns + "\" signature for " + org.orgId()), r.out());
                checked++;
            }
        }
        assertEquals(3 + 3, checked, "three manifests of kept recordings and three digests");
    }

    @Test
    void oneByteChangedInARecordingObjectIsTampered() throws Exception {
        Path dir = copyBucket(org, "chunk");
        flipByte(file(dir, ObjectKey.cast(org.orgId(), kept)));
        assertDetected(dir, "TAMPERED", kept.toString());
        assertTrue(verify(dir, org.orgId(), allowedSigners).out().contains(ObjectKey.cast(org.orgId(), kept).value()));
    }

    @Test
    void oneByteChangedInAManifestIsTampered() throws Exception {
        Path dir = copyBucket(org, "manifest");
        flipByte(file(dir, ObjectKey.manifest(org.orgId(), late)));
        assertDetected(dir, "TAMPERED", late.toString());
    }

    @Test
    void oneByteChangedInASummaryIsTampered() throws Exception {
        Path dir = copyBucket(org, "summary");
        flipByte(file(dir, ObjectKey.summary(org.orgId(), kept)));
        assertDetected(dir, "TAMPERED", kept.toString());
        assertTrue(verify(dir, org.orgId(), allowedSigners).out().contains(ObjectKey.summary(org.orgId(), kept).value()));
    }

    @Test
    void oneByteChangedInADigestIsTampered() throws Exception {
        Path dir = copyBucket(org, "digest");
        flipByte(file(dir, digests.get(1)));
        assertDetected(dir, "TAMPERED", digests.get(1).value());
    }

    @Test
    void objectsDeletedOutsideRetentionAreMissing() throws Exception {
        Path dir = copyBucket(org, "deleted");
        for (ObjectKey.Prefix p : ObjectKey.recordingPrefixes(org.orgId(), late)) {
            deleteTree(dir.resolve(p.value()));
        }
        assertDetected(dir, "MISSING", late.toString());
    }

    @Test
    void aDeletedDigestIsAChainGap() throws Exception {
        Path dir = copyBucket(org, "digest-deleted");
        Files.delete(file(dir, digests.get(1)));
        Files.delete(file(dir, ObjectKey.signatureOf(digests.get(1))));
        assertDetected(dir, "CHAIN GAP", digests.get(1).value());
    }

    @Test
    void reorderedDigestsAreAChainGap() throws Exception {
        Path dir = copyBucket(org, "reordered");
        swap(file(dir, digests.get(0)), file(dir, digests.get(1)));
        swap(file(dir, ObjectKey.signatureOf(digests.get(0))), file(dir, ObjectKey.signatureOf(digests.get(1))));
        assertDetected(dir, "CHAIN GAP", digests.get(0).value());
    }

    @Test
    void aManifestResignedWithAKeyNotInAllowedSignersIsTampered() throws Exception {
        Path dir = copyBucket(org, "resigned");
        Path key = tmp.resolve("forger");
        Process gen = new ProcessBuilder("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString())
                .redirectErrorStream(true).start();
        assertEquals(0, gen.waitFor());
        Path manifest = file(dir, ObjectKey.manifest(org.orgId(), kept));
        Files.delete(file(dir, ObjectKey.signatureOf(ObjectKey.manifest(org.orgId(), kept))));
        Process sign = new ProcessBuilder("/usr/bin/ssh-keygen", "-Y", "sign", "-f", key.toString(), "-n",
                "castvault-recording", manifest.toString()).redirectErrorStream(true).start();
        assertEquals(0, sign.waitFor(), new String(sign.getInputStream().readAllBytes()));
        assertDetected(dir, "TAMPERED", kept.toString());
        assertTrue(verify(dir, org.orgId(), allowedSigners).out().contains("a key not in allowed_signers"));
    }

    @Test
    void aRecordingThatNoDigestListsIsReported() throws Exception {
        Path dir = copyBucket(org, "injected");
        UUID forged = UUID.randomUUID();
        Files.createDirectories(file(dir, ObjectKey.cast(org.orgId(), forged)).getParent());
        Files.copy(file(dir, ObjectKey.cast(org.orgId(), kept)), file(dir, ObjectKey.cast(org.orgId(), forged)));
        Files.createDirectories(file(dir, ObjectKey.summary(org.orgId(), forged)).getParent());
        Files.copy(file(dir, ObjectKey.summary(org.orgId(), kept)), file(dir, ObjectKey.summary(org.orgId(), forged)));
        assertDetected(dir, "UNSIGNED", forged.toString());
        // with a manifest and a valid signature copied from another recording it is still caught, twice over
        Files.copy(file(dir, ObjectKey.manifest(org.orgId(), kept)), file(dir, ObjectKey.manifest(org.orgId(), forged)));
        Files.copy(file(dir, ObjectKey.signatureOf(ObjectKey.manifest(org.orgId(), kept))),
                file(dir, ObjectKey.signatureOf(ObjectKey.manifest(org.orgId(), forged))));
        assertDetected(dir, "TAMPERED", forged.toString());
        String out = verify(dir, org.orgId(), allowedSigners, "--json").out();
        JsonNode kinds = TestApp.JSON.readTree(out).get("findings");
        assertTrue(kinds.findValuesAsText("kind").contains("CHAIN GAP"), out);
        assertTrue(out.contains("the manifest is of another recording") && out.contains("listed in no digest"), out);
    }

    @Test
    void aRemovalWithoutRetentionOrAdminDeleteIsReportedByTheVerifierAndTheAction() throws Exception {
        TestOrg other = app.newOrg(true);
        UUID r = RetentionTest.recording(app, other, 1);
        // an insider hides the recording straight in the database, stating no reason
        app.db().acrossOrgs(tx -> TestSql.execute(tx, "UPDATE session_recordings SET status = 'deleting' WHERE id = ?", r));
        app.bean(DigestWriter.class).runOrg(other.orgId(), true).orElseThrow();
        String signers = other.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        Run run = verify(copyBucket(other, "unexplained"), other.orgId(), signers);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("REMOVED OUTSIDE RETENTION") && l.contains(r.toString())), run.out());
        TestApp.Response action = other.asAdmin(Map.of("action", "verify", "session_id", r.toString()));
        assertFalse(action.data().get("ok").asBoolean(), action.body());
        assertEquals("REMOVED OUTSIDE RETENTION", action.data().get("findings").get(0).get("kind").asText());
        assertEquals(r.toString(), action.data().get("findings").get(0).get("session_id").asText());
    }

    @Test
    void rotationKeepsOldSignaturesValidAndPublishesEveryKey() throws Exception {
        TestOrg o = app.newOrg(true);
        UUID before = RetentionTest.recording(app, o, 1);
        TestApp.Response keys1 = o.asAdmin(Map.of("action", "get_public_keys"));
        assertEquals(1, keys1.data().get("keys").size());
        assertTrue(keys1.data().get("keys").get(0).get("valid_until").isNull());
        assertEquals(403, o.asMember(Map.of("action", "rotate_signing_key")).status());
        TestApp.Response rotated = o.asAdmin(Map.of("action", "rotate_signing_key"));
        assertEquals(200, rotated.status(), rotated.body());
        String fp = rotated.data().get("fingerprint").asText();
        assertTrue(fp.startsWith("SHA256:"), fp);
        UUID after = RetentionTest.recording(app, o, 1);
        app.bean(DigestWriter.class).runOrg(o.orgId(), true).orElseThrow();
        JsonNode keys2 = o.asAuditor(Map.of("action", "get_public_keys")).data();
        assertEquals(2, keys2.get("keys").size());
        assertFalse(keys2.get("keys").get(0).get("valid_until").isNull());
        assertEquals(fp, keys2.get("keys").get(1).get("fingerprint").asText());
        assertTrue(keys2.get("keys").get(1).get("public_key").asText().startsWith("ssh-ed25519 AAAA"));
        Path dir = copyBucket(o, "rotated");
        Run run = verify(dir, o.orgId(), keys2.get("allowed_signers").asText());
        assertEquals(0, run.exit(), run.out());
        String oldManifest = Files.readString(file(dir, ObjectKey.manifest(o.orgId(), before)));
        String newManifest = Files.readString(file(dir, ObjectKey.manifest(o.orgId(), after)));
        assertNotEquals(TestApp.JSON.readTree(oldManifest).get("key_fingerprint"), TestApp.JSON.readTree(newManifest).get("key_fingerprint"));
        assertEquals(fp, TestApp.JSON.readTree(newManifest).get("key_fingerprint").asText());
        // only the old key published: the new manifest no longer verifies
        Run partial = verify(dir, o.orgId(), keys1.data().get("allowed_signers").asText());
        assertEquals(1, partial.exit(), partial.out());
    }

    @Test
    void evidenceBundleVerifiesWithTheCommandsOfItsVerifyMd() throws Exception {
        TestApp.Response r = org.cast(org.adminId(), kept);
        assertEquals(200, r.status());
        TestApp.Response bundle = app.get("/api/session-recording/" + org.orgId() + "/" + kept + "/evidence", app.token(org.auditorId()));
        assertEquals(200, bundle.status(), bundle.body());
        Path dir = Files.createDirectories(tmp.resolve("bundle"));
        Files.write(dir.resolve("bundle.tar"), bundle.raw().body());
        Process tar = new ProcessBuilder("tar", "-xf", "bundle.tar").directory(dir.toFile()).redirectErrorStream(true).start();
        assertEquals(0, tar.waitFor(), new String(tar.getInputStream().readAllBytes()));
        Path extracted = dir.resolve("castvault-evidence-" + kept);
        assertEquals(r.body(), Files.readString(extracted.resolve("recording.cast")), "the bundle holds the cast as served");
        List<String> commands = Files.readAllLines(extracted.resolve("VERIFY.md")).stream().map(String::strip)
                .filter(l -> l.startsWith("sha256sum ") || l.startsWith("ssh-keygen ")).toList();
        assertEquals(2, commands.size(), commands.toString());
        for (String cmd : commands) {
            Process p = new ProcessBuilder("bash", "-c", cmd).directory(extracted.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), cmd + ": " + out);
        }
        // and the same commands fail on a tampered cast
        flipByte(extracted.resolve("recording.cast"));
        Process p = new ProcessBuilder("bash", "-c", commands.get(0)).directory(extracted.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertNotEquals(0, p.waitFor());

        assertEquals(404, app.get("/api/session-recording/" + org.orgId() + "/" + adminDeleted + "/evidence",
                app.token(org.adminId())).status());
        TestOrg stranger = app.newOrg(true);
        assertEquals(404, app.get("/api/session-recording/" + stranger.orgId() + "/" + kept + "/evidence",
                app.token(stranger.adminId())).status());
        assertEquals(403, app.get("/api/session-recording/" + org.orgId() + "/" + kept + "/evidence",
                app.token(org.memberId())).status(), "a member reads only their own recordings");
    }

    @Test
    void verifyActionForOneRecordingGivesItsIntegrityAndNamesATamperedObject() throws Exception {
        TestApp.Response ok = org.asAuditor(Map.of("action", "verify", "session_id", kept.toString()));
        assertEquals(200, ok.status(), ok.body());
        assertTrue(ok.data().get("ok").asBoolean(), ok.body());
        JsonNode integrity = ok.data().get("integrity");
        assertEquals(digests.get(0).value(), integrity.get("digest_key").asText());
        assertTrue(integrity.get("key_fingerprint").asText().startsWith("SHA256:"), ok.body());
        assertEquals(64, integrity.get("manifest_sha256").asText().length());

        TestOrg o = app.newOrg(true);
        UUID pending = RetentionTest.recording(app, o, 1);
        TestApp.Response p = o.asAdmin(Map.of("action", "verify", "session_id", pending.toString()));
        assertTrue(p.data().get("ok").asBoolean(), p.body());
        assertTrue(p.data().get("integrity").get("digest_key").isNull(), "not in a digest yet: " + p.body());
        app.bean(DigestWriter.class).runOrg(o.orgId(), true).orElseThrow();

        byte[] forged = "[0, \"o\", \"rm -rf /\"]\n".getBytes(StandardCharsets.UTF_8);
        ObjectKey chunk = ObjectKey.cast(o.orgId(), pending);
        app.blobs().put(chunk, forged, io.castvault.core.Hashing.sha256(forged), "application/x-asciicast");
        TestApp.Response bad = o.asAdmin(Map.of("action", "verify", "session_id", pending.toString()));
        assertEquals(200, bad.status(), bad.body());
        assertFalse(bad.data().get("ok").asBoolean(), bad.body());
        JsonNode f = bad.data().get("findings").get(0);
        assertEquals("TAMPERED", f.get("kind").asText());
        assertEquals(chunk.value(), f.get("object_key").asText());
        assertEquals(pending.toString(), f.get("session_id").asText());
        TestApp.Response whole = o.asAdmin(Map.of("action", "verify"));
        assertFalse(whole.data().get("ok").asBoolean(), whole.body());
        assertEquals(404, o.asAdmin(Map.of("action", "verify", "session_id", UUID.randomUUID().toString())).status());
        assertEquals(404, o.asAdmin(Map.of("action", "verify", "session_id", kept.toString())).status(),
                "another org's recording is not found");
    }

    static void swap(Path a, Path b) throws IOException {
        Path t = a.resolveSibling("swap.tmp");
        Files.move(a, t);
        Files.move(b, a);
        Files.move(t, b);
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
