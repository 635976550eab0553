package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.core.CastvaultException;
import io.castvault.db.TestSql;
import io.castvault.evidence.DigestWriter;
import io.castvault.storage.ObjectKey;
import io.castvault.storage.StorageException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 14: a digest the store refused is written late, never skipped; concurrent writers never fork the chain. */
class EvidenceOutageTest {
    static TestApp app;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        app = TestApp.start(Map.of("castvault.evidence.digest-interval", "1s"), true);
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    static JsonNode read(ObjectKey key) throws Exception {
        try (InputStream in = app.blobs().get(key)) {
            return TestApp.JSON.readTree(in);
        }
    }

    @Test
    void aDigestTheStoreRefusedIsWrittenLateWithTheSameNumberAndTheNextOneSaysSo() throws Exception {
        TestOrg org = app.newOrg(true);
        DigestWriter writer = app.bean(DigestWriter.class);
        UUID first = RetentionTest.recording(app, org, 1);
        // the manifest hook could not write (store down at that moment): the digest run writes it
        app.db().acrossOrgs(tx -> TestSql.execute(tx, "UPDATE evidence_seals SET manifest_sha256 = NULL WHERE recording_id = ?", first));
        app.blobs().delete(List.of(ObjectKey.manifest(org.orgId(), first), ObjectKey.signatureOf(ObjectKey.manifest(org.orgId(), first))));

        app.relay().cut();
        RuntimeException down = assertThrows(RuntimeException.class, () -> writer.runOrg(org.orgId(), true));
        assertTrue(down instanceof StorageException || down instanceof CastvaultException, down.toString());
        Thread.sleep(1500);
        app.relay().restore();

        ObjectKey key = writer.runOrg(org.orgId(), false).orElseThrow();
        JsonNode d1 = read(key);
        assertEquals(1, d1.get("seq").asInt(), "the claimed digest is written, not skipped");
        assertEquals(first.toString(), d1.get("sealed").get(0).get("session_id").asText());
        assertTrue(d1.get("sealed").get(0).get("manifest_sha256").isTextual(), "the missing manifest was written first");

        UUID second = RetentionTest.recording(app, org, 1);
        Thread.sleep(1100); // DIGEST_INTERVAL is 1 s here
        ObjectKey key2 = writer.runOrg(org.orgId(), false).orElseThrow();
        JsonNode d2 = read(key2);
        assertEquals(2, d2.get("seq").asInt());
        assertEquals(key.value(), d2.get("previous").get("key").asText());
        assertTrue(d2.get("previous").get("late").asBoolean(), d2.toString());
        assertEquals(second.toString(), d2.get("sealed").get(0).get("session_id").asText());
        assertTrue(writer.runOrg(org.orgId(), false).isEmpty(), "nothing happened: no digest before the daily heartbeat");

        String signers = org.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        EvidenceTest.Run run = EvidenceTest.verify(tmp, EvidenceTest.copyBucket(app, tmp, org, "late"), org.orgId(), signers);
        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("the previous digest was written late"), run.out());
    }

    @Test
    void newestDigestsDeletedAreAGapWhenLaterWorkIsSigned() throws Exception {
        TestOrg org = app.newOrg(true);
        DigestWriter writer = app.bean(DigestWriter.class);
        UUID old = RetentionTest.recording(app, org, 50);
        // sealed two days ago: its manifest (rewritten by the digest run) says so
        app.db().acrossOrgs(tx -> TestSql.execute(tx, "UPDATE evidence_seals SET manifest_sha256 = NULL, "
                + "sealed_at = now() - interval '2 days' WHERE recording_id = ?", old));
        writer.runOrg(org.orgId(), true).orElseThrow();
        String signers = org.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        Path clean = EvidenceTest.copyBucket(app, tmp, org, "truncated-clean");
        assertEquals(0, EvidenceTest.verify(tmp, clean, org.orgId(), signers).exit());

        RetentionTest.recording(app, org, 1); // later work, signed, not yet in a digest
        Path dir = EvidenceTest.copyBucket(app, tmp, org, "truncated");
        EvidenceTest.Run pending = EvidenceTest.verify(tmp, dir, org.orgId(), signers);
        assertEquals(0, pending.exit(), "a fresh seal after the newest digest is pending, not a gap: " + pending.out());
        for (ObjectKey k : app.blobs().list(ObjectKey.digestPrefix(org.orgId()))) {
            java.nio.file.Files.delete(dir.resolve(k.value()));
        }
        EvidenceTest.Run cut = EvidenceTest.verify(tmp, dir, org.orgId(), signers);
        assertEquals(1, cut.exit(), cut.out());
        assertTrue(cut.out().lines().anyMatch(l -> l.startsWith("CHAIN GAP") && l.contains(old.toString())), cut.out());
    }

    @Test
    void productionRefusesToStartWithoutAMasterKey() {
        RuntimeException e = assertThrows(RuntimeException.class,
                () -> TestApp.start(Map.of("castvault.evidence.master-key", "", "castvault.evidence.env", "production"), false));
        Throwable cause = e;
        while (cause.getCause() != null && !String.valueOf(cause.getMessage()).contains("CASTVAULT_MASTER_KEY")) {
            cause = cause.getCause();
        }
        assertTrue(String.valueOf(cause.getMessage()).contains("CASTVAULT_MASTER_KEY is required in production"), e.toString());
    }

    @Test
    void concurrentWritersProduceOneUnbrokenChain() throws Exception {
        TestOrg org = app.newOrg(true);
        DigestWriter writer = app.bean(DigestWriter.class);
        RetentionTest.recording(app, org, 1);
        List<Future<Optional<ObjectKey>>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit((Callable<Optional<ObjectKey>>) () -> writer.runOrg(org.orgId(), false)));
            }
        }
        List<String> written = new ArrayList<>();
        for (Future<Optional<ObjectKey>> f : results) {
            f.get().ifPresent(k -> written.add(k.value()));
        }
        List<ObjectKey> stored = app.blobs().list(ObjectKey.digestPrefix(org.orgId())).stream()
                .filter(k -> k.value().endsWith(".json")).toList();
        assertEquals(written.size(), stored.size(), "every digest written once: " + written);
        long seals = app.db().acrossOrgs(tx -> TestSql.count(tx,
                "SELECT count(*) FROM evidence_seals WHERE org_id = ? AND digest_seq IS NOT NULL", org.orgId()));
        assertEquals(1, seals, "the seal is in exactly one digest");
        String signers = org.asAdmin(Map.of("action", "get_public_keys")).data().get("allowed_signers").asText();
        EvidenceTest.Run run = EvidenceTest.verify(tmp, EvidenceTest.copyBucket(app, tmp, org, "concurrent"), org.orgId(), signers);
        assertEquals(0, run.exit(), run.out());
    }
}
