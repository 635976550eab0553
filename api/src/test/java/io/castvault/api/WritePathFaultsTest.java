package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12's "done when", against the real servers: a stalled object store does not take the database with it, an
 * ambiguous commit never loses an acknowledged chunk, and the orphan sweep removes what no row names.
 */
class WritePathFaultsTest {

    static String chunk(int i) {
        return "[" + i + ".5, \"o\", \"line " + i + "\\r\\n\"]\n";
    }

    @Test
    void aStalledStoreLeavesTheDatabaseFreeAndRetriesConverge() throws Exception {
        try (TestApp app = TestApp.start(Map.of("castvault.s3.attempt-timeout", "1s", "castvault.s3.call-timeout", "2s"), true)) {
            TestOrg org = app.newOrg(true);
            UUID id = org.start(org.memberId());
            assertEquals(200, org.upload(org.memberId(), id, 0, chunk(0)).status());
            app.relay().stall();
            ExecutorService pool = Executors.newFixedThreadPool(30);
            try {
                List<Future<long[]>> uploads = new ArrayList<>();
                for (int i = 1; i <= 30; i++) {
                    int index = i;
                    uploads.add(pool.submit(() -> {
                        long t0 = System.nanoTime();
                        int status = org.upload(org.memberId(), id, index, chunk(index)).status();
                        return new long[] {status, (System.nanoTime() - t0) / 1_000_000};
                    }));
                }
                Thread.sleep(500); // the uploads are now waiting on the store (or were turned away)
                for (int round = 0; round < 3; round++) {
                    long t0 = System.nanoTime();
                    assertEquals(200, org.asAdmin(Map.of("action", "get_settings")).status());
                    assertEquals(200, org.asAdmin(Map.of("action", "list")).status());
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertTrue(ms < 1000, "get_settings and list took " + ms + " ms with the store stalled");
                }
                for (Future<long[]> f : uploads) {
                    long[] r = f.get();
                    assertEquals(503, r[0], "an upload with the store stalled is 503");
                    assertTrue(r[1] < 8_000, "answered within the store's call timeout (and retries), took " + r[1] + " ms");
                }
            } finally {
                pool.shutdownNow();
            }
            app.relay().resume();
            for (int i = 1; i <= 30; i++) {
                int status = 0;
                for (int attempt = 0; attempt < 5 && status != 200; attempt++) {
                    status = org.upload(org.memberId(), id, i, chunk(i)).status();
                }
                assertEquals(200, status, "chunk " + i + " converges once the store is back");
            }
            assertEquals(200, org.complete(org.memberId(), id).status());
            String cast = org.cast(org.memberId(), id).body();
            for (int i = 0; i <= 30; i++) {
                assertTrue(cast.contains(chunk(i)), "acknowledged chunk " + i + " is in the sealed recording");
            }
            JsonNode meta = org.asAdmin(Map.of("action", "get", "session_id", id.toString())).data().get("recording").get("metadata");
            assertEquals(31, meta.get("chunks_received").asInt());
            assertFalse(meta.has("missing_chunks"));
        }
    }

    @Test
    void anAmbiguousCommitNeverLosesAnAcknowledgedChunk() throws Exception {
        try (TestApp app = TestApp.startWithDatabaseRelay(Map.of())) {
            TestOrg org = app.newOrg(true);
            UUID id = org.start(org.memberId());
            assertEquals(200, org.upload(org.memberId(), id, 0, chunk(0)).status()); // caches warm

            // The claim and the mark are each one autocommit statement (migration V9), so the ambiguous moment is
            // the reply to that statement: its row description names the function's result column.
            // the reply to the statement that marks chunk 1 stored is lost: the client sees a failure, the row committed
            app.databaseRelay().dropReplyContaining("castvault_mark_chunk_stored\0".getBytes(StandardCharsets.US_ASCII), 1);
            TestApp.Response lost = org.upload(org.memberId(), id, 1, chunk(1));
            assertEquals(503, lost.status(), lost.body());
            assertEquals("stored", state(app, org, id, 1), "the commit did happen");
            assertEquals(200, org.upload(org.memberId(), id, 1, chunk(1)).status(), "the retry is acknowledged");

            // the reply to the claim statement is lost: the retry finds its own claim and finishes it
            app.databaseRelay().dropReplyContaining("claimed\0".getBytes(StandardCharsets.US_ASCII), 1);
            TestApp.Response lostClaim = org.upload(org.memberId(), id, 2, chunk(2));
            assertEquals(503, lostClaim.status(), lostClaim.body());
            assertEquals("pending", state(app, org, id, 2));
            assertEquals(200, org.upload(org.memberId(), id, 2, chunk(2)).status());

            assertEquals(200, org.complete(org.memberId(), id).status());
            String cast = org.cast(org.memberId(), id).body();
            for (int i = 0; i <= 2; i++) {
                assertTrue(cast.contains(chunk(i)), "chunk " + i);
            }
        }
    }

    static String state(TestApp app, TestOrg org, UUID id, int index) {
        return app.db().inOrg(org.orgId(), tx -> io.castvault.db.TestSql.text(tx,
                "SELECT coalesce((SELECT state FROM recording_chunks WHERE recording_id = ? AND chunk_index = ?), 'none')", id, index));
    }

    @Test
    void theSweeperRemovesStraysNoRowNamesAfterTheGracePeriod() throws Exception {
        try (TestApp app = TestApp.start(Map.of("castvault.retention.orphan-grace", "1s"), false)) {
            TestOrg org = app.newOrg(true);
            UUID expired = RetentionTest.recording(app, org, 100 * 24);
            UUID live = RetentionTest.recording(app, org, 1);
            byte[] stray = "stray".getBytes(StandardCharsets.UTF_8);
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(stray);
            // left by a crash: under the expired recording (retention deletes only what rows name) and under a
            // recording that never got a row
            app.blobs().put(ObjectKey.chunk(org.orgId(), expired, 77), stray, sha, "text/plain");
            UUID neverCommitted = UUID.randomUUID();
            app.blobs().put(ObjectKey.cast(org.orgId(), neverCommitted), stray, sha, "text/plain");
            Thread.sleep(1500);
            app.bean(io.castvault.recording.RetentionService.class).sweep();
            assertTrue(RetentionTest.gone(app, org, expired));
            assertFalse(app.blobs().head(ObjectKey.chunk(org.orgId(), expired, 77)).isPresent());
            assertFalse(app.blobs().head(ObjectKey.cast(org.orgId(), neverCommitted)).isPresent());
            assertTrue(app.blobs().head(ObjectKey.cast(org.orgId(), live)).isPresent(), "what a row names stays");
            assertTrue(app.blobs().head(ObjectKey.summary(org.orgId(), live)).isPresent());
            assertEquals(200, org.cast(org.adminId(), live).status());
        }
    }
}
