package io.castvault.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.castvault.db.RecordingQueries;
import io.castvault.storage.ObjectKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.castvault.api.SettingsAndAuthTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The object store goes away mid-test: writes answer 503, nothing half-written is reported, retries succeed. */
class StorageOutageTest {
    static TestApp app;

    @BeforeAll
    static void start() {
        app = TestApp.startBehindRelay();
    }

    @AfterEach
    void restore() {
        app.relay().restore();
    }

    /**
     * /health gives an answer of the store up to a second old at once (see StoreHealth): it follows within seconds,
     * and stays 200 all along, since the database answers (issue 12).
     */
    static void awaitStore(String state) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        TestApp.Response seen;
        while (!state.equals((seen = app.get("/health", null)).json().get("object_store").asText())
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        assertEquals(200, seen.status(), seen.body());
        assertEquals(state, seen.json().get("object_store").asText(), "/health within 5 s: " + seen.body());
        assertEquals(state.equals("up") ? "up" : "degraded", seen.json().get("status").asText(), seen.body());
    }

    @AfterAll
    static void stop() throws Exception {
        app.close();
    }

    @Test
    void uploadAndCompleteFailCleanlyAndRetryWhenTheStoreIsBack() {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        assertEquals(200, org.upload(org.memberId(), id, 0, RecordingLifecycleTest.CHUNK0).status());

        app.relay().cut();
        assertError(org.upload(org.memberId(), id, 1, RecordingLifecycleTest.CHUNK1), 503, "STORAGE_UNAVAILABLE");
        assertEquals(List.of(0), chunkIndexes(org, id), "no row claims the chunk whose object is missing");
        assertError(org.complete(org.memberId(), id), 503, "STORAGE_UNAVAILABLE");
        JsonNode during = org.asMember(Map.of("action", "get", "session_id", id.toString())).data();
        assertEquals("active", during.get("recording").get("status").asText(), "a failed complete leaves it active");
        awaitStore("down");

        app.relay().restore();
        awaitStore("up");
        assertEquals(200, org.upload(org.memberId(), id, 1, RecordingLifecycleTest.CHUNK1).status());
        assertEquals(200, org.complete(org.memberId(), id).status());
        JsonNode after = org.asMember(Map.of("action", "get", "session_id", id.toString())).data();
        assertEquals("completed", after.get("recording").get("status").asText());
        assertEquals(0, after.get("r2_data").get("missing_chunks").size());
        // sealed: the one object holds both chunks; the chunk objects are gone
        assertEquals(List.of(ObjectKey.cast(org.orgId(), id)),
                app.blobs().list(ObjectKey.recordingPrefixes(org.orgId(), id).get(0)));
    }

    @Test
    void deleteDuringAnOutageHidesTheRecordingAndFinishesLater() {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        org.upload(org.memberId(), id, 0, RecordingLifecycleTest.CHUNK0);
        org.complete(org.memberId(), id);

        app.relay().cut();
        assertError(org.asAdmin(Map.of("action", "delete", "session_id", id.toString())), 503, "STORAGE_UNAVAILABLE");
        assertError(org.asAdmin(Map.of("action", "get", "session_id", id.toString())), 404, "NOT_FOUND");
        assertEquals(0, org.asAdmin(Map.of("action", "list")).data().get("recordings").size());

        app.relay().restore();
        app.bean(io.castvault.recording.RetentionService.class).sweep();
        for (ObjectKey.Prefix p : ObjectKey.recordingPrefixes(org.orgId(), id)) {
            assertEquals(List.of(), app.blobs().list(p));
        }
        assertEquals("0", app.db().acrossOrgs(tx -> io.castvault.db.TestSql.text(tx,
                "SELECT count(*) FROM session_recordings WHERE id = ?", id)), "the marked row is gone");
        assertEquals(0L, (long) app.db().acrossOrgs(tx -> io.castvault.db.TestSql.removalsNaming(tx, id)),
                "and no removal names it");
    }

    private static List<Integer> chunkIndexes(TestOrg org, UUID id) {
        return app.db().inOrg(org.orgId(), tx -> RecordingQueries.chunks(tx, id).stream().map(c -> c.index()).toList());
    }

    /**
     * A sealed download goes out with its length; when the store's stream breaks after the status line, the
     * transfer breaks too: the client never holds a body that ends early but looks whole. The server logs the cut
     * as one line saying why, not as the store client's stack trace.
     */
    @Test
    void aSealedDownloadCutMidWayNeverEndsAsACompleteBody() throws Exception {
        TestOrg org = app.newOrg(true);
        UUID id = org.start(org.memberId());
        assertEquals(200, org.upload(org.memberId(), id, 0, RecordingLifecycleTest.CHUNK0).status());
        assertEquals(200, org.complete(org.memberId(), id).status());
        // a recording.cast far larger than what the socket buffers and the download's pieces hold between the
        // store and the client, so the cut lands in the middle of the transfer
        byte[] large = new byte[48 << 20];
        new java.util.Random(7).nextBytes(large);
        ObjectKey cast = ObjectKey.cast(org.orgId(), id);
        app.blobs().put(cast, large, java.security.MessageDigest.getInstance("SHA-256").digest(large), "application/x-asciicast");

        try (LoggedEvents logged = LoggedEvents.capture()) {
            java.net.http.HttpResponse<java.io.InputStream> r = SealAndDownloadTest.HTTP.send(
                    java.net.http.HttpRequest.newBuilder(
                                    app.url("/api/session-recording/" + org.orgId() + "/" + id + "/cast"))
                            .header("Authorization", "Bearer " + app.token(org.adminId())).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            assertEquals(large.length, Long.parseLong(r.headers().firstValue("Content-Length").orElseThrow()));
            long read = 0;
            boolean broken = false;
            try (java.io.InputStream in = r.body()) {
                byte[] buf = new byte[64 << 10];
                read += in.readNBytes(buf, 0, buf.length);
                app.relay().cut();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    read += n;
                }
            } catch (java.io.IOException e) {
                broken = true;
            }
            assertTrue(broken, "the transfer must break, not end: " + read + " of " + large.length + " bytes read");
            assertTrue(read < large.length, read + " of " + large.length);
            ch.qos.logback.classic.spi.ILoggingEvent cut = logged.await(e -> e.getThrowableProxy() != null
                    && e.getThrowableProxy().getMessage().startsWith("download cut short by its source"));
            assertEquals(0, cut.getThrowableProxy().getStackTraceElementProxyArray().length, cut.getFormattedMessage());
            assertEquals(null, cut.getThrowableProxy().getCause());
            assertTrue(cut.getThrowableProxy().getMessage().contains("ConnectionClosedException"),
                    cut.getThrowableProxy().getMessage());
        }
    }
}
