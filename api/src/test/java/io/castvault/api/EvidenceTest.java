package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.core.Hashing;
import io.castvault.db.EvidenceQueries;
import io.castvault.db.TestSql;
import io.castvault.evidence.DigestWriter;
import io.castvault.evidence.SigningKeys;
import io.castvault.evidence.Sshsig;
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
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
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
        // OpenSSH agrees: what the new key signed (a manifest and the digest) verifies against the published
        // allowed_signers, as does what the retired key signed before
        String allSigners = keys2.get("allowed_signers").asText();
        ObjectKey digest = app.blobs().list(ObjectKey.digestPrefix(o.orgId())).stream()
                .filter(k -> k.value().endsWith(".json")).reduce((a, b) -> b).orElseThrow();
        record Signed(ObjectKey key, String namespace, String fingerprint) {
        }
        String oldFp = keys2.get("keys").get(0).get("fingerprint").asText();
        for (Signed s : List.of(new Signed(ObjectKey.manifest(o.orgId(), after), Sshsig.RECORDING_NAMESPACE, fp),
                new Signed(digest, Sshsig.DIGEST_NAMESPACE, fp),
                new Signed(ObjectKey.manifest(o.orgId(), before), Sshsig.RECORDING_NAMESPACE, oldFp))) {
            SshsigRun r = sshKeygenVerify(dir, allSigners, o.orgId().toString(), s.namespace(),
                    file(dir, ObjectKey.signatureOf(s.key())), file(dir, s.key()));
            assertEquals(0, r.exit(), s.key() + ": " + r.out());
            assertTrue(r.out().contains("Good \"" + s.namespace() + "\" signature for " + o.orgId()) && r.out().contains(s.fingerprint()),
                    s.key() + ": " + r.out());
        }
        SshsigRun refused = sshKeygenVerify(dir, keys1.data().get("allowed_signers").asText(), o.orgId().toString(),
                Sshsig.RECORDING_NAMESPACE, file(dir, ObjectKey.signatureOf(ObjectKey.manifest(o.orgId(), after))),
                file(dir, ObjectKey.manifest(o.orgId(), after)));
        assertNotEquals(0, refused.exit(), "the old allowed_signers lacks the new key: " + refused.out());
    }

    /** The bundle of {@code session} as an auditor gets it, unpacked under {@code name}. */
    static Path bundle(UUID session, String name) throws Exception {
        TestApp.Response bundle = app.get("/api/session-recording/" + org.orgId() + "/" + session + "/evidence", app.token(org.auditorId()));
        assertEquals(200, bundle.status(), bundle.body());
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.write(dir.resolve("bundle.tar"), bundle.raw().body());
        Process tar = new ProcessBuilder("tar", "-xf", "bundle.tar").directory(dir.toFile()).redirectErrorStream(true).start();
        assertEquals(0, tar.waitFor(), new String(tar.getInputStream().readAllBytes()));
        return dir.resolve("castvault-evidence-" + session);
    }

    /** The commands of VERIFY.md: every line of its {@code ```sh} blocks. */
    static List<String> verifyMdCommands(Path bundle) throws IOException {
        List<String> commands = new ArrayList<>();
        boolean inBlock = false;
        for (String line : Files.readAllLines(bundle.resolve("VERIFY.md"))) {
            if (line.strip().startsWith("```")) {
                inBlock = !inBlock && line.strip().equals("```sh");
            } else if (inBlock && !line.isBlank()) {
                commands.add(line.strip());
            }
        }
        return commands;
    }

    /** Runs {@code script} with the POSIX shell (dash here) in {@code cwd}, as an auditor pasting it would. */
    static SshsigRun sh(Path cwd, String script) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-ec", script).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new SshsigRun(p.waitFor(), out);
    }

    static Path copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    @Test
    void evidenceBundleVerifiesWithTheCommandsOfItsVerifyMd() throws Exception {
        TestApp.Response r = org.cast(org.adminId(), kept);
        assertEquals(200, r.status());
        Path extracted = bundle(kept, "bundle");
        assertEquals(r.body(), Files.readString(extracted.resolve("recording.cast")), "the bundle holds the cast as served");
        try (Stream<Path> files = Files.list(extracted)) {
            assertEquals(Set.of("VERIFY.md", "allowed_signers", "manifest.json", "manifest.json.sig", "recording.json",
                    "recording.cast"), files.map(f -> f.getFileName().toString()).collect(Collectors.toSet()),
                    "nothing unsigned that could vouch for the cast (no checksum file)");
        }
        List<String> commands = verifyMdCommands(extracted);
        assertEquals(4, commands.size(), commands.toString());
        assertTrue(commands.get(0).startsWith("ssh-keygen -Y verify -f allowed_signers -I " + org.orgId()
                + " -n castvault-recording "), "the signature is checked first: " + commands);
        StringBuilder out = new StringBuilder();
        for (String cmd : commands) {
            SshsigRun run = sh(extracted, cmd);
            assertEquals(0, run.exit(), cmd + ": " + run.out());
            out.append(run.out());
        }
        assertTrue(out.toString().contains("Good \"castvault-recording\" signature for " + org.orgId()), out.toString());
        assertTrue(out.toString().contains("recording.cast: OK") && out.toString().contains("recording.json: OK"), out.toString());
        // one byte changed in the cast, the summary or the manifest: the commands fail
        String script = String.join("\n", commands);
        for (String name : List.of("recording.cast", "recording.json", "manifest.json")) {
            Path copy = copyDir(extracted, tmp.resolve("bundle-" + name));
            flipByte(copy.resolve(name));
            SshsigRun run = sh(copy, script);
            assertNotEquals(0, run.exit(), name + " changed, yet: " + run.out());
        }
        // the bundle of another recording of the org does not pass for this one
        Path other = bundle(late, "bundle-other");
        SshsigRun wrong = sh(other, commands.get(1));
        assertNotEquals(0, wrong.exit(), wrong.out());

        assertEquals(404, app.get("/api/session-recording/" + org.orgId() + "/" + adminDeleted + "/evidence",
                app.token(org.adminId())).status());
        TestOrg stranger = app.newOrg(true);
        assertEquals(404, app.get("/api/session-recording/" + stranger.orgId() + "/" + kept + "/evidence",
                app.token(stranger.adminId())).status());
        assertEquals(403, app.get("/api/session-recording/" + org.orgId() + "/" + kept + "/evidence",
                app.token(org.memberId())).status(), "a member reads only their own recordings");
    }

    @Test
    void aSwappedCastWithAConsistentChecksumFileFailsTheVerifyMdCommands() throws Exception {
        Path dir = bundle(kept, "bundle-swapped");
        List<String> commands = verifyMdCommands(dir);
        String script = String.join("\n", commands);
        Path cast = dir.resolve("recording.cast");
        String genuineSha = Hashing.hex(Hashing.sha256(Files.readAllBytes(cast)));
        byte[] forged = (Files.readString(cast) + "[3.0, \"o\", \"nothing to see\\r\\n\"]\n").getBytes(StandardCharsets.UTF_8);
        Files.write(cast, forged);
        String forgedSha = Hashing.hex(Hashing.sha256(forged));
        // everything unsigned agrees with the forgery: the summary's hash and a checksum file beside it
        Path summary = dir.resolve("recording.json");
        Files.writeString(summary, Files.readString(summary).replace(genuineSha, forgedSha));
        Files.writeString(dir.resolve("SHA256SUMS"), forgedSha + "  recording.cast\n"
                + Hashing.hex(Hashing.sha256(Files.readAllBytes(summary))) + "  recording.json\n");
        assertEquals(0, sh(dir, "sha256sum -c SHA256SUMS").exit(), "a checksum file proves nothing on its own");

        assertEquals(0, sh(dir, commands.get(0)).exit(), "the manifest itself is untouched");
        SshsigRun castCheck = sh(dir, commands.get(2));
        assertNotEquals(0, castCheck.exit(), castCheck.out());
        assertTrue(castCheck.out().contains("recording.cast: FAILED"), castCheck.out());
        assertNotEquals(0, sh(dir, commands.get(3)).exit(), "the summary differs from the one the manifest lists");
        assertNotEquals(0, sh(dir, script).exit());

        // rewriting the manifest's hash as well makes the cast check pass, and breaks the signature
        Path manifest = dir.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace(genuineSha, forgedSha));
        assertEquals(0, sh(dir, commands.get(2)).exit(), "the cast check reads the hash from the manifest");
        SshsigRun sig = sh(dir, commands.get(0));
        assertNotEquals(0, sig.exit(), sig.out());
        assertNotEquals(0, sh(dir, script).exit());
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

    @Test
    void theManifestStatesWhatTheIssueLists() throws Exception {
        byte[] bytes;
        try (InputStream in = app.blobs().get(ObjectKey.manifest(org.orgId(), kept))) {
            bytes = in.readAllBytes();
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        JsonNode m = TestApp.JSON.readTree(bytes);
        // canonical: no insignificant whitespace, keys sorted at every level
        assertEquals(TestApp.JSON.writeValueAsString(m), text);
        for (JsonNode n : List.of(m, m.get("objects").get(0), m.get("chunks").get(0))) {
            List<String> names = new ArrayList<>();
            n.fieldNames().forEachRemaining(names::add);
            assertEquals(names.stream().sorted().toList(), names, n.toString());
        }
        List<String> keys = new ArrayList<>();
        m.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("chunks", "duration_seconds", "ended_at", "format", "key_fingerprint", "machine_id",
                "objects", "org_id", "recording_sha256", "sealed_at", "session_id", "session_type", "started_at",
                "user_id"), keys);

        JsonNode summary;
        byte[] summaryBytes;
        try (InputStream in = app.blobs().get(ObjectKey.summary(org.orgId(), kept))) {
            summaryBytes = in.readAllBytes();
            summary = TestApp.JSON.readTree(summaryBytes);
        }
        byte[] cast;
        try (InputStream in = app.blobs().get(ObjectKey.cast(org.orgId(), kept))) {
            cast = in.readAllBytes();
        }
        assertEquals("castvault-manifest/1", m.get("format").asText());
        assertEquals(org.orgId().toString(), m.get("org_id").asText());
        assertEquals(kept.toString(), m.get("session_id").asText());
        assertEquals(org.machine().machineId().toString(), m.get("machine_id").asText());
        assertEquals(org.adminId().toString(), m.get("user_id").asText(), "the recording was started by the admin");
        assertEquals("ssh", m.get("session_type").asText());
        java.time.Instant started = java.time.Instant.parse(m.get("started_at").asText());
        assertEquals(java.time.Instant.parse(summary.get("started_at").asText()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS), started);
        assertTrue(m.get("started_at").asText().matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z"), m.toString());
        java.time.Instant ended = java.time.Instant.parse(m.get("ended_at").asText());
        java.time.Instant sealed = java.time.Instant.parse(m.get("sealed_at").asText());
        assertFalse(ended.isBefore(started) || sealed.isBefore(ended), m.toString());
        assertEquals(summary.get("duration_seconds").asDouble(), m.get("duration_seconds").asDouble());
        assertEquals(2.5, m.get("duration_seconds").asDouble(), "the last event's time");

        String castSha = Hashing.hex(Hashing.sha256(cast));
        assertEquals(castSha, m.get("recording_sha256").asText());
        JsonNode objects = m.get("objects");
        assertEquals(2, objects.size(), "the sealed cast and the summary: " + objects);
        assertEquals(ObjectKey.cast(org.orgId(), kept).value(), objects.get(0).get("key").asText());
        assertEquals(cast.length, objects.get(0).get("bytes").asLong());
        assertEquals(castSha, objects.get(0).get("sha256").asText());
        assertEquals(ObjectKey.summary(org.orgId(), kept).value(), objects.get(1).get("key").asText());
        assertEquals(summaryBytes.length, objects.get(1).get("bytes").asLong());
        assertEquals(Hashing.hex(Hashing.sha256(summaryBytes)), objects.get(1).get("sha256").asText());
        List<String> chunkTexts = List.of(RecordingLifecycleTest.CHUNK0, RecordingLifecycleTest.CHUNK1);
        JsonNode chunks = m.get("chunks");
        assertEquals(2, chunks.size());
        for (int i = 0; i < 2; i++) {
            byte[] received = chunkTexts.get(i).getBytes(StandardCharsets.UTF_8);
            assertEquals(i, chunks.get(i).get("index").asInt());
            assertEquals(received.length, chunks.get(i).get("bytes").asLong(), "chunk " + i + " as received");
            assertEquals(Hashing.hex(Hashing.sha256(received)), chunks.get(i).get("sha256").asText(), "chunk " + i);
            assertEquals(summary.get("chunks").get(i).get("sha256").asText(), chunks.get(i).get("sha256").asText());
        }
        JsonNode keys1 = org.asMember(Map.of("action", "get_public_keys")).data().get("keys");
        assertEquals(keys1.get(keys1.size() - 1).get("fingerprint").asText(), m.get("key_fingerprint").asText());
        // and it is the manifest the first digest lists, by its SHA-256
        JsonNode digest;
        try (InputStream in = app.blobs().get(digests.get(0))) {
            digest = TestApp.JSON.readTree(in);
        }
        String listed = null;
        for (JsonNode e : digest.get("sealed")) {
            if (kept.toString().equals(e.get("session_id").asText())) {
                listed = e.get("manifest_sha256").asText();
            }
        }
        assertEquals(Hashing.hex(Hashing.sha256(bytes)), listed, digest.toString());
    }

    @Test
    void sinceLeavesOlderTamperingOutButStillChecksTheChainAfterIt() throws Exception {
        TestOrg o = app.newOrg(true);
        DigestWriter writer = app.bean(DigestWriter.class);
        UUID old = RetentionTest.recording(app, o, 80);
        // A digest due three days ago that the store refused until now (the outage case: its claim row waits, the
        // next run writes it late with its own due time), listing a recording sealed just before it.
        java.time.Instant dueAt = java.time.Instant.now().minus(java.time.Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        ObjectKey first = ObjectKey.digest(o.orgId(), dueAt);
        app.db().acrossOrgs(tx -> {
            TestSql.execute(tx, "UPDATE evidence_seals SET sealed_at = ?::timestamptz - interval '1 minute', "
                    + "manifest_sha256 = NULL, digest_seq = 1 WHERE recording_id = ?", dueAt.toString(), old);
            return TestSql.execute(tx, "INSERT INTO evidence_digests (org_id, seq, object_key, due_at) VALUES (?, 1, ?, ?::timestamptz)",
                    o.orgId(), first.value(), dueAt.toString());
        });
        assertEquals(first, writer.runOrg(o.orgId(), false).orElseThrow());
        UUID recent = RetentionTest.recording(app, o, 1);
        ObjectKey second = writer.runOrg(o.orgId(), true).orElseThrow();
        UUID newest = RetentionTest.recording(app, o, 1);
        writer.runOrg(o.orgId(), true).orElseThrow();
        String signers = o.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        String since = java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1).toString();

        Path clean = copyBucket(o, "since-clean");
        assertEquals(0, verify(clean, o.orgId(), signers).exit());
        assertEquals(0, verify(clean, o.orgId(), signers, "--since", since).exit());

        // before --since: the old recording's cast changed and its digest deleted
        Path older = copyBucket(o, "since-older");
        flipByte(file(older, ObjectKey.cast(o.orgId(), old)));
        Files.delete(file(older, first));
        Files.delete(file(older, ObjectKey.signatureOf(first)));
        Run whole = verify(older, o.orgId(), signers);
        assertEquals(1, whole.exit(), "without --since it is found: " + whole.out());
        Run recentOnly = verify(older, o.orgId(), signers, "--since", since);
        assertEquals(0, recentOnly.exit(), recentOnly.out());
        assertFalse(recentOnly.out().contains(old.toString()), recentOnly.out());
        assertTrue(recentOnly.out().lines().anyMatch(l -> l.startsWith("OK") && l.contains(recent.toString())), recentOnly.out());

        // after --since: a tampered recording and a deleted digest are still found
        Path tampered = copyBucket(o, "since-tampered");
        flipByte(file(tampered, ObjectKey.cast(o.orgId(), newest)));
        Run t = verify(tampered, o.orgId(), signers, "--since", since);
        assertEquals(1, t.exit(), t.out());
        assertTrue(t.out().lines().anyMatch(l -> l.startsWith("TAMPERED") && l.contains(newest.toString())), t.out());
        Path gap = copyBucket(o, "since-gap");
        Files.delete(file(gap, second));
        Files.delete(file(gap, ObjectKey.signatureOf(second)));
        Run g = verify(gap, o.orgId(), signers, "--since", since);
        assertEquals(1, g.exit(), g.out());
        assertTrue(g.out().lines().anyMatch(l -> l.startsWith("CHAIN GAP") && l.contains(second.value())), g.out());
    }

    @Test
    void aDailyHeartbeatDigestIsWrittenWhenNothingHappened() throws Exception {
        TestOrg o = app.newOrg(true);
        DigestWriter writer = app.bean(DigestWriter.class);
        RetentionTest.recording(app, o, 1);
        ObjectKey first = writer.runOrg(o.orgId(), false).orElseThrow();
        assertTrue(writer.runOrg(o.orgId(), false).isEmpty(), "nothing new and the heartbeat is not due");
        // a day and an hour pass without a seal or a removal
        app.db().acrossOrgs(tx -> TestSql.execute(tx, "UPDATE evidence_digests SET due_at = due_at - interval '25 hours', "
                + "written_at = written_at - interval '25 hours' WHERE org_id = ?", o.orgId()));
        ObjectKey beat = writer.runOrg(o.orgId(), false).orElseThrow();
        assertNotEquals(first, beat);
        assertTrue(writer.runOrg(o.orgId(), false).isEmpty(), "one heartbeat a day");

        Path dir = copyBucket(o, "heartbeat");
        JsonNode d = TestApp.JSON.readTree(file(dir, beat).toFile());
        assertEquals(2, d.get("seq").asInt());
        assertEquals(0, d.get("sealed").size(), d.toString());
        assertEquals(0, d.get("removed").size(), d.toString());
        assertEquals(first.value(), d.get("previous").get("key").asText());
        assertEquals(Hashing.hex(Hashing.sha256(Files.readAllBytes(file(dir, first)))), d.get("previous").get("sha256").asText());
        assertEquals(java.util.Base64.getEncoder().encodeToString(
                        Sshsig.parse(Files.readString(file(dir, ObjectKey.signatureOf(first)))).signature()),
                d.get("previous").get("signature").asText());
        String signers = o.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        SshsigRun keygen = sshKeygenVerify(dir, signers, o.orgId().toString(), Sshsig.DIGEST_NAMESPACE,
                file(dir, ObjectKey.signatureOf(beat)), file(dir, beat));
        assertEquals(0, keygen.exit(), keygen.out());
        Run run = verify(dir, o.orgId(), signers);
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("OK") && l.contains(beat.value())
                && l.contains("number 2, 0 sealed, 0 removed")), run.out());
    }

    @Test
    void aDigestReSignedWithAnotherPublishedKeyBreaksTheLinkToItsSignature() throws Exception {
        TestOrg o = app.newOrg(true);
        DigestWriter writer = app.bean(DigestWriter.class);
        RetentionTest.recording(app, o, 1);
        ObjectKey first = writer.runOrg(o.orgId(), true).orElseThrow();
        RetentionTest.recording(app, o, 1);
        writer.runOrg(o.orgId(), true).orElseThrow();
        assertEquals(200, o.asAdmin(Map.of("action", "rotate_signing_key")).status());
        String signers = o.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        Path dir = copyBucket(o, "resigned-digest");
        assertEquals(0, verify(dir, o.orgId(), signers).exit());
        // The first digest signed again, unchanged, with the org's new key: a valid signature on its own (as
        // aws-cli's CloudTrail validator would see it); only the next digest's record of the old one tells.
        byte[] content = Files.readAllBytes(file(dir, first));
        Files.writeString(file(dir, ObjectKey.signatureOf(first)),
                app.bean(SigningKeys.class).current(o.orgId()).sign(Sshsig.DIGEST_NAMESPACE, content));
        SshsigRun keygen = sshKeygenVerify(dir, signers, o.orgId().toString(), Sshsig.DIGEST_NAMESPACE,
                file(dir, ObjectKey.signatureOf(first)), file(dir, first));
        assertEquals(0, keygen.exit(), keygen.out());
        Run run = verify(dir, o.orgId(), signers);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("TAMPERED") && l.contains(first.value())
                && l.contains("its signature differs from the one digest")), run.out());
    }

    @Test
    void aRetentionRemovalBeforeThePolicyAllowsIsRemovedOutsideRetention() throws Exception {
        TestOrg o = app.newOrg(true); // default retention: 90 days
        UUID young = RetentionTest.recording(app, o, 24);
        // an insider hides a day-old recording, claiming retention for it
        app.db().acrossOrgs(tx -> {
            EvidenceQueries.stateRemovalReason(tx, "retention", null);
            return TestSql.execute(tx, "UPDATE session_recordings SET status = 'deleting' WHERE id = ?", young);
        });
        app.bean(DigestWriter.class).runOrg(o.orgId(), true).orElseThrow();
        String signers = o.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        Run run = verify(copyBucket(o, "early-retention"), o.orgId(), signers);
        assertEquals(1, run.exit(), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("REMOVED OUTSIDE RETENTION") && l.contains(young.toString())
                && l.contains("within the 90-day policy")), run.out());
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
